# fuzz_power_channel: the real spice-server power channel (fuzz flavour of libspice-server.a)
# handling a client's byte stream after a completed link. fuzz_power_channel_internal.cpp reaches
# RedChannel::connect() through spice-server's internal headers, which is why this target needs
# spice-server-power-fuzz-internal and a C++ file next to the C harness.
if(TARGET spice-server-power-fuzz-internal)
  spp_add_fuzzer(fuzz_power_channel
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/fuzz_power_channel.c"
            "${CMAKE_CURRENT_LIST_DIR}/fuzz_power_channel_internal.cpp"
    LIBS spice-server-power-fuzz-internal spp_client
    SMOKE_SECONDS 20)
  # upstream's internal headers are not -Wextra clean; the warnings are not ours to fix
  set_source_files_properties("${CMAKE_CURRENT_LIST_DIR}/fuzz_power_channel_internal.cpp"
    PROPERTIES COMPILE_OPTIONS "-Wno-unused-parameter;-Wno-sign-compare;-Wno-mismatched-tags;-Wno-extern-c-compat")
  # coverage.sh / bench: the power channel's own source and the base channel-client code it runs on
  set(SPP_FUZZ_COVERAGE_fuzz_power_channel_SOURCES
      "${SPP_SPICE_FUZZ_SRC}/server/power-channel.cpp"
      "${SPP_SPICE_FUZZ_SRC}/server/red-channel-client.cpp")
endif()
