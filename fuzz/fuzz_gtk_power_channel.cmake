# fuzz_gtk_power_channel: spice-gtk's SpicePowerChannel (the fuzz flavour of the patched
# libspice-client-glib, qemu-harness/gtk) handling a server's messages and the application's calls,
# the harness being the server (gtk_power_server.c). --wrap=g_thread_new: see the end of
# fuzz_gtk_power_channel.c. LeakSanitizer at exit, not after every input: every link allocates
# for good (the channel's first link, GLib's and OpenSSL's per-thread state), and libFuzzer would
# scan the heap after each of them.
if(TARGET spice-client-glib-power-fuzz)
  spp_add_fuzzer(fuzz_gtk_power_channel
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/fuzz_gtk_power_channel.c" "${CMAKE_CURRENT_LIST_DIR}/gtk_power_server.c"
    LIBS spice-client-glib-power-fuzz spicepower_protocol
    SMOKE_SECONDS 20
    ENVIRONMENT ASAN_OPTIONS=detect_leaks=1 G_SLICE=always-malloc
    ARGS -detect_leaks=0)
  target_link_options(fuzz_gtk_power_channel PRIVATE -Wl,--wrap=g_thread_new)
  # coverage.sh / bench: the channel's own source
  set(SPP_FUZZ_COVERAGE_fuzz_gtk_power_channel_SOURCES "${SPP_GTK_FUZZ_SOURCE_DIR}/src/channel-power.c")
endif()
