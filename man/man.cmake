# Writes a man page from its template: the @SECTION:name@ lines are
# replaced by what the binary prints for `--man-section name` (generated
# from its option tables), @VERSION@, @DATE@ and @DATADIR@ by their values.
# The date honours SOURCE_DATE_EPOCH, so the package builds reproducibly.
#
#   cmake -DBIN=... -DIN=... -DOUT=... -DVERSION=... -DDATADIR=... -P man.cmake
cmake_minimum_required(VERSION 3.20)
string(TIMESTAMP DATE "%Y-%m-%d" UTC)
file(READ "${IN}" text)
string(REGEX MATCHALL "@SECTION:[a-z]+@" tags "${text}")
foreach(tag IN LISTS tags)
  string(REGEX REPLACE "@SECTION:([a-z]+)@" "\\1" name "${tag}")
  execute_process(COMMAND "${BIN}" --man-section ${name} OUTPUT_VARIABLE body RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR body STREQUAL "")
    message(FATAL_ERROR "${BIN} --man-section ${name}: exit ${rc}")
  endif()
  string(REPLACE "${tag}\n" "${body}" text "${text}")
endforeach()
string(REPLACE "@VERSION@" "${VERSION}" text "${text}")
string(REPLACE "@DATE@" "${DATE}" text "${text}")
string(REPLACE "@DATADIR@" "${DATADIR}" text "${text}")
file(WRITE "${OUT}" "${text}")
