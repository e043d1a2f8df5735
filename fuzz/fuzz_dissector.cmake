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
              FUZZ_DISSECTOR_VISIBLE_TREE=1 FUZZ_DISSECTOR_COLUMNS=1 ASAN_OPTIONS=detect_leaks=1
  # LeakSanitizer at exit, not after every input (fuzz_dissector.c, "Leak detection")
  ARGS -detect_leaks=0
)
target_compile_options(fuzz_dissector PRIVATE -Wno-unused-parameter)

# The same target with one leak planted in the harness: the ctest settings above must catch it.
add_executable(fuzz_dissector_planted_leak "${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dissector.c")
target_compile_definitions(fuzz_dissector_planted_leak PRIVATE FUZZ_DISSECTOR_PLANTED_LEAK)
target_compile_options(fuzz_dissector_planted_leak PRIVATE ${SPP_FUZZ_FLAGS} -Wno-unused-parameter)
target_link_options(fuzz_dissector_planted_leak PRIVATE ${SPP_FUZZ_LINK_FLAGS})
target_link_libraries(fuzz_dissector_planted_leak PRIVATE spicepower_sources wiretap wsutil)
if(SPP_OSS_FUZZ)
  set_target_properties(fuzz_dissector_planted_leak PROPERTIES LINKER_LANGUAGE CXX)
endif()
spp_add_test(fuzz.fuzz_dissector.leak_is_reported LABEL fuzz TIMEOUT 120
  COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/expect-leak.sh" "$<TARGET_FILE:fuzz_dissector_planted_leak>"
          "${SPP_CORPUS_DIR}/fuzz_dissector" -detect_leaks=0
  ENVIRONMENT WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 WIRESHARK_DEBUG_WMEM_OVERRIDE=simple G_SLICE=always-malloc
              ASAN_OPTIONS=detect_leaks=1)

# What fuzz/coverage.sh reports for this target (repo-relative, comma or ; separated).
set(SPP_FUZZ_COVERAGE_fuzz_dissector_SOURCES "dissector/src")
