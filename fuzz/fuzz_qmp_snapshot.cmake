# fuzz_qmp_snapshot: QEMU's snapshot-save/-load/-delete QMP commands and their jobs, over QMP against
# the stock qemu-system-x86_64 ($SPP_QEMU), with a model of docs/snapshot-jobs.md as the oracle.
# Needs the harness (QMP client and jobs, the deviation registry, launcher, guest). See
# docs/fuzzing-qemu.md.
if(TARGET spp_launcher AND TARGET spp_guest AND TARGET spp_qmp)
  spp_add_fuzzer(fuzz_qmp_snapshot
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/fuzz_qmp_snapshot.c"
            "${CMAKE_CURRENT_LIST_DIR}/qmp_snapshot_input.c"
            "${CMAKE_CURRENT_LIST_DIR}/qmp_snapshot_model.c"
    LIBS spp_launcher spp_guest spp_qmp
    # ctest runs in parallel with other suites: a generous deadline keeps a loaded machine from
    # passing for a hang
    ENVIRONMENT SPP_QMP_SNAPSHOT_DEADLINE_MS=30000 SPP_QMP_SNAPSHOT_STATS_SECONDS=0
    SMOKE_SECONDS 15)
  # fuzz/bench/run-bench.sh: the figure of merit is QMP commands per second, not exec/s.
  set(SPP_FUZZ_BENCH_fuzz_qmp_snapshot_RATE_REGEX "fuzz_qmp_snapshot: commands/s: [0-9.]+")
  set(SPP_FUZZ_BENCH_fuzz_qmp_snapshot_RATE_UNIT "QMP commands/s")
  # The in-process QEMU target is built by fuzz/qemu-inprocess/build.sh (tens of minutes, not in CI);
  # only the check that its patch still applies to Debian's source is a test.
  find_program(SPP_APT_GET apt-get)
  find_program(SPP_PATCH patch)
  if(SPP_APT_GET AND SPP_PATCH)
    spp_add_test(fuzz.qemu_inprocess.patch_applies LABEL fuzz TIMEOUT 300
      COMMAND "${CMAKE_CURRENT_LIST_DIR}/qemu-inprocess/build.sh" --check-only
              "${CMAKE_CURRENT_BINARY_DIR}/qemu-inprocess-check")
    set_tests_properties(fuzz.qemu_inprocess.patch_applies PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endif()
