/* DNS over TCP framing (RFC 7766): a 2-byte length, then the message. */
#ifndef CT_TCPFRAME_H
#define CT_TCPFRAME_H

#include <event2/buffer.h>
#include <stdint.h>
#include <sys/types.h>

/* Moves the next whole message from in into buf (room for 65535 bytes)
 * and returns its length; -1 while the frame is still incomplete. */
ssize_t ct_tcp_frame_pull(struct evbuffer *in, uint8_t *buf);

#endif
