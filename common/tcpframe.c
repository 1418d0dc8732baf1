#include "tcpframe.h"

#include "dnswire.h"

ssize_t ct_tcp_frame_pull(struct evbuffer *in, uint8_t *buf)
{
	uint8_t hdr[2];
	size_t avail = evbuffer_get_length(in);
	if (avail < 2 || evbuffer_copyout(in, hdr, 2) != 2)
		return -1;
	size_t len = ct_get16(hdr);
	if (avail < 2 + len)
		return -1;
	evbuffer_drain(in, 2);
	evbuffer_remove(in, buf, len);
	return (ssize_t)len;
}
