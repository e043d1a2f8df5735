# ctest fuzz.oss_fuzz_build: fuzz/oss-fuzz/build.sh run here with oss-fuzz's variables, then each
# target it put in $OUT replayed over its seed corpus zip (fuzz/oss-fuzz/test-build.sh). Its
# work dir stays in this build tree, so reruns are incremental; spice and spice-gtk sources already
# fetched by this tree are reused (no second download).
if(NOT SPP_OSS_FUZZ)
  spp_add_test(fuzz.oss_fuzz_build LABEL fuzz TIMEOUT 1500
    COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/oss-fuzz/test-build.sh" "${CMAKE_BINARY_DIR}/oss-fuzz-work"
            -DWITH_DISSECTOR=OFF -DWITH_CONFORMANCE=OFF -DWITH_SPICE=${WITH_SPICE} -DWITH_HARNESS=${WITH_HARNESS}
            -DWITH_SPICE_GTK=OFF
    ENVIRONMENT "SPP_DEBIAN_SOURCES=${CMAKE_BINARY_DIR}/qemu-harness/spice/stack/dl:${CMAKE_BINARY_DIR}/qemu-harness/gtk/work/dl")
endif()
