# empty_harness: the do-nothing baseline of fuzz/bench/ (not a fuzz target: no corpus, no
# ctests, not shipped to oss-fuzz). Same compile and link flags as spp_add_fuzzer().
add_executable(empty_harness "${CMAKE_CURRENT_SOURCE_DIR}/empty_harness.c")
target_compile_options(empty_harness PRIVATE ${SPP_FUZZ_FLAGS})
target_link_options(empty_harness PRIVATE ${SPP_FUZZ_LINK_FLAGS})
if(SPP_OSS_FUZZ)
  set_target_properties(empty_harness PROPERTIES LINKER_LANGUAGE CXX)
endif()
