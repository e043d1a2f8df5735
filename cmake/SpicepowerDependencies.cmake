# Dependency lookup that names the Debian package to install when something is missing.
include(FindPkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config' (or run ./run deps)")
endif()

# spp_require_pkg(<prefix> <pkg-config module> <debian package>)
# Creates the imported target PkgConfig::<prefix>.
function(spp_require_pkg prefix module debian_package)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "${module} not found: install the Debian package '${debian_package}' (or run ./run deps)")
  endif()
endfunction()

# spp_require_program(<var> <program> <debian package>)
function(spp_require_program var program debian_package)
  find_program(${var} NAMES ${program})
  if(NOT ${var})
    message(FATAL_ERROR "${program} not found: install the Debian package '${debian_package}' (or run ./run deps)")
  endif()
endfunction()
