# Fails the build unless IMAGE is exactly one 512-byte sector ending in 55 AA.
file(SIZE "${IMAGE}" size)
if(NOT size EQUAL 512)
  message(FATAL_ERROR "${IMAGE} is ${size} bytes, not 512")
endif()
file(READ "${IMAGE}" signature OFFSET 510 LIMIT 2 HEX)
if(NOT signature STREQUAL "55aa")
  message(FATAL_ERROR "${IMAGE} lacks the 55 AA boot signature (got ${signature})")
endif()
