# The spicepower plugin's sources and what they need to compile against this Wireshark, as the
# INTERFACE target spicepower_sources: the plugin (dissector/CMakeLists.txt) and fuzz_dissector
# (fuzz/, also built when the plugin itself is not, as oss-fuzz does) both compile from it, once.
# Wireshark 4.0 (bookworm) and later: 4.4 (trixie) and 4.6 (sid) build from the same sources, the
# API differences settled by the feature tests below (src/ws-compat.h).
include_guard(GLOBAL)

find_package(Wireshark CONFIG QUIET)
if(NOT Wireshark_FOUND)
  message(FATAL_ERROR "WiresharkConfig.cmake not found: install the Debian packages "
                      "'wireshark-dev' and 'libwireshark-dev' (or run ./run deps)")
endif()
if(Wireshark_VERSION VERSION_LESS 4.0)
  message(FATAL_ERROR "spicepower needs Wireshark 4.0 or later, found ${Wireshark_VERSION}: install a "
                      "newer 'libwireshark-dev' (Debian 12 and later ship one)")
endif()
if(NOT Wireshark_PLUGINS_ENABLED)
  message(FATAL_ERROR "This Wireshark was built without plugin support; install Debian's 'libwireshark-dev'")
endif()

include(CheckTypeSize)
check_type_size("ssize_t" SSIZE_T)

# Where Wireshark's API changed between the releases we build for, ask the headers rather than
# the version number, so that releases in between (4.2 on Ubuntu 24.04) build too.
include(CheckCSourceCompiles)
get_target_property(_spp_ws_includes epan INTERFACE_INCLUDE_DIRECTORIES)
set(CMAKE_REQUIRED_INCLUDES ${_spp_ws_includes})
set(CMAKE_REQUIRED_FLAGS "-Werror=incompatible-pointer-types")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY) # compile only: the answer is in the headers
check_c_source_compiles([[
#include <stdbool.h>
#include <epan/packet.h>
static bool heur(tvbuff_t *t, packet_info *p, proto_tree *r, void *d) { return t && p && r && d; }
int main(void) { heur_dissector_t h = heur; return h != 0; }
]] SPP_WS_HEUR_RETURNS_BOOL)
check_c_source_compiles([[
#include <epan/tvbuff.h>
int main(void) { return tvb_get_uint8 != 0; }
]] SPP_WS_HAS_TVB_GET_UINT8)
check_c_source_compiles([[
#include <epan/packet.h>
static const value_string vs[] = {{1, "one"}, {0, NULL}};
int main(void) { return val_to_str(NULL, 1, vs, "%u") != 0; }
]] SPP_WS_VAL_TO_STR_TAKES_SCOPE)
check_c_source_compiles([[
#include <epan/packet.h>
#include <epan/dissectors/packet-tcp.h>
int main(void) { struct tcpinfo t = {0}; return (int)t.stream; }
]] SPP_WS_TCPINFO_HAS_STREAM)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_TRY_COMPILE_TARGET_TYPE)

add_library(spicepower_sources INTERFACE)
target_sources(spicepower_sources INTERFACE
  "${CMAKE_CURRENT_LIST_DIR}/src/plugin.c"
  "${CMAKE_CURRENT_LIST_DIR}/src/conv.c"
  "${CMAKE_CURRENT_LIST_DIR}/src/link.c"
  "${CMAKE_CURRENT_LIST_DIR}/src/data.c"
  "${CMAKE_CURRENT_LIST_DIR}/src/analysis.c"
  "${CMAKE_CURRENT_LIST_DIR}/src/stats.c"
)
target_include_directories(spicepower_sources INTERFACE "${CMAKE_CURRENT_LIST_DIR}/src")
target_compile_definitions(spicepower_sources INTERFACE
  SPICEPOWER_VERSION="${PROJECT_VERSION}"
  $<$<BOOL:${HAVE_SSIZE_T}>:HAVE_SSIZE_T>
  $<$<BOOL:${SPP_WS_HEUR_RETURNS_BOOL}>:SPP_WS_HEUR_RETURNS_BOOL>
  $<$<BOOL:${SPP_WS_HAS_TVB_GET_UINT8}>:SPP_WS_HAS_TVB_GET_UINT8>
  $<$<BOOL:${SPP_WS_VAL_TO_STR_TAKES_SCOPE}>:SPP_WS_VAL_TO_STR_TAKES_SCOPE>
  $<$<BOOL:${SPP_WS_TCPINFO_HAS_STREAM}>:SPP_WS_TCPINFO_HAS_STREAM>
)
target_link_libraries(spicepower_sources INTERFACE epan spicepower_protocol)

