# fuzz_dissector: the spicepower Wireshark plugin in process against Debian's libwireshark.
# The plugin's sources are compiled into the target with the fuzzer flags; libwireshark is not
# instrumented (Debian's build). Input layout: docs in fuzz/fuzz_dissector.c and dissector/src/conv.c.
find_package(Wireshark CONFIG QUIET)
if(NOT Wireshark_FOUND OR NOT TARGET epan)
  message(WARNING "fuzz_dissector skipped: WiresharkConfig.cmake not found (Debian packages "
                  "'wireshark-dev' and 'libwireshark-dev')")
  return()
endif()
include("${PROJECT_SOURCE_DIR}/dissector/sources.cmake")

spp_add_fuzzer(fuzz_dissector
  SOURCES "${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dissector.c"
  LIBS spicepower_sources wiretap wsutil
  SMOKE_SECONDS 20
  ENVIRONMENT WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 WIRESHARK_DEBUG_WMEM_OVERRIDE=simple G_SLICE=always-malloc
              FUZZ_DISSECTOR_VISIBLE_TREE=1 FUZZ_DISSECTOR_COLUMNS=1 ASAN_OPTIONS=detect_leaks=0
)
target_compile_options(fuzz_dissector PRIVATE -Wno-unused-parameter)

# What fuzz/coverage.sh reports for this target (repo-relative, comma or ; separated).
set(SPP_FUZZ_COVERAGE_fuzz_dissector_SOURCES "dissector/src")
