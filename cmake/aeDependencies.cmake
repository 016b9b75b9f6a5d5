# Dependencies of the ae target: Eigen 3.4 (required), OpenMP, zlib (for .gz IDX files) and
# stb (for PNG/BMP), all from Debian packages: libeigen3-dev zlib1g-dev libstb-dev.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(OpenMP)
find_package(ZLIB)

# stb ships headers only, in /usr/include/stb on Debian; pkg-config stb knows where.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(AE_PC_STB QUIET stb)
endif()
find_path(AE_STB_INCLUDE_DIR stb_image.h
  HINTS ${AE_PC_STB_INCLUDE_DIRS}
  PATHS /usr/include/stb /usr/local/include/stb)
if(NOT AE_STB_INCLUDE_DIR)
  message(STATUS "ae: stb not found; image reading and PNG writing are disabled (install libstb-dev)")
endif()
