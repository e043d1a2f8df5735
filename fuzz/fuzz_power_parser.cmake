# fuzz_power_parser: spice-common's generated power-channel demarshallers, both directions.
# The client->server parser comes from the fuzz flavour of libspice-server.a (the very object
# the server runs); the server->client one (generated_client_demarshallers.c) is not part of the
# server library, so it is compiled here from the same spice_codegen.py output.
if(TARGET spice-server-power-fuzz-internal)
  set(_pp_generated "${SPP_SPICE_FUZZ_GENERATED_DIR}/generated_client_demarshallers.c"
                    "${SPP_SPICE_FUZZ_GENERATED_DIR}/generated_server_demarshallers.c")
  set_source_files_properties(${_pp_generated} PROPERTIES GENERATED TRUE)
  # SPP_FUZZ_POWER_PARSER_FROM_SOURCE compiles the server-side demarshaller into the harness
  # instead of taking it from the archive: a coverage build (-fprofile-instr-generate) needs it,
  # because meson builds the archive without coverage mapping.
  set(_pp_cov OFF)
  if(CMAKE_C_FLAGS MATCHES "-fcoverage-mapping")
    set(_pp_cov ON) # fuzz/coverage.sh's build
  endif()
  option(SPP_FUZZ_POWER_PARSER_FROM_SOURCE "fuzz_power_parser: compile the server demarshaller from source" ${_pp_cov})
  set(_pp_sources "${CMAKE_CURRENT_LIST_DIR}/fuzz_power_parser.c"
                  "${SPP_SPICE_FUZZ_GENERATED_DIR}/generated_client_demarshallers.c")
  if(SPP_FUZZ_POWER_PARSER_FROM_SOURCE)
    list(APPEND _pp_sources "${SPP_SPICE_FUZZ_GENERATED_DIR}/generated_server_demarshallers.c")
  endif()
  spp_add_fuzzer(fuzz_power_parser
    SOURCES ${_pp_sources}
    LIBS spice-server-power-fuzz-internal
    SMOKE_SECONDS 15)
  # the generated code is not warning-clean (not ours to fix), and it is compiled with the
  # fuzz flavour's sanitizer set: no pointer-overflow (see qemu-harness/spice/build-stack.sh)
  set_property(SOURCE ${_pp_generated} TARGET_DIRECTORY fuzz_power_parser
               APPEND PROPERTY COMPILE_OPTIONS -w -fno-sanitize=pointer-overflow)
  # coverage.sh / bench: only the generated demarshallers count (they live in the build tree)
  set(SPP_FUZZ_COVERAGE_fuzz_power_parser_SOURCES ${_pp_generated})
endif()
