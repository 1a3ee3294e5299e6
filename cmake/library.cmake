# libboltrtc, shared (libboltrtc.so.MAJOR) and static (libboltrtc.a), made of the objects of
# the cores (brtc_core); what the tools share with it (brtc_helpers); brtc_lib, the one a tool
# links; and `cmake --install` (library, headers, boltrtc.pc, the CMake package).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)

# The object files of the object libraries listed in a global property (cmake/boltrtc.cmake).
function(brtc_objects_of out property)
  get_property(libs GLOBAL PROPERTY ${property})
  set(files)
  foreach(objs ${libs})
    list(APPEND files $<TARGET_OBJECTS:${objs}>)
  endforeach()
  set(${out} ${files} PARENT_SCOPE)
endfunction()

brtc_objects_of(library_objects BRTC_LIBRARY_OBJECTS)

add_library(boltrtc SHARED ${library_objects})
add_library(boltrtc_static STATIC ${library_objects})
foreach(lib boltrtc boltrtc_static)
  target_include_directories(${lib} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # OpenSSL is the library's only dependency; no public header includes it.
  target_link_libraries(${lib} PRIVATE OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
endforeach()
# The SONAME follows the ABI generation (libboltrtc.so.1, CMakeLists.txt); only BRTC_EXPORT
# symbols leave it (the objects are compiled with hidden visibility).
set_target_properties(boltrtc PROPERTIES
  VERSION ${PROJECT_VERSION} SOVERSION ${BOLTRTC_ABI} C_VISIBILITY_PRESET hidden)
set_target_properties(boltrtc_static PROPERTIES OUTPUT_NAME boltrtc EXPORT_NAME boltrtc_static)
# NEEDED lists only what is used; an undefined symbol is a link error here, not at load time
# in a user's program (sanitizer runtimes come with the program, so not under them).
target_link_options(boltrtc PRIVATE -Wl,--as-needed)
if(NOT BRTC_SANITIZE AND NOT BRTC_FUZZ)
  target_link_options(boltrtc PRIVATE -Wl,--no-undefined)
endif()

# brtc_helpers: the stateless helpers the tools use (addresses, byte queues, random bytes,
# payload-format parsing), the same objects as inside the library, where they are hidden.
brtc_objects_of(helper_files BRTC_HELPER_OBJECTS)
add_library(brtc_helpers STATIC ${helper_files})
target_include_directories(brtc_helpers PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include
                           ${PROJECT_BINARY_DIR}/include)
target_link_libraries(brtc_helpers PUBLIC OpenSSL::Crypto)

# brtc_lib: libboltrtc as a tool (brtc_tool) links it: the shared library for a program that
# sets the property BRTC_LINK_SHARED (so a call into the library's insides fails to link),
# the static one for the rest (tests, which reach inside anyway).
add_library(brtc_lib INTERFACE)
target_link_libraries(brtc_lib INTERFACE
  $<IF:$<BOOL:$<TARGET_PROPERTY:BRTC_LINK_SHARED>>,boltrtc,boltrtc_static>)

# ---- install ----
install(TARGETS boltrtc boltrtc_static EXPORT boltrtcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
file(GLOB public_headers ${PROJECT_SOURCE_DIR}/include/boltrtc/*.h)
install(FILES ${public_headers} ${PROJECT_BINARY_DIR}/include/boltrtc/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/boltrtc)

set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/boltrtc)
install(EXPORT boltrtcTargets NAMESPACE boltrtc:: DESTINATION ${cmake_dir})
configure_package_config_file(cmake/boltrtcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/boltrtcConfig.cmake INSTALL_DESTINATION ${cmake_dir})
# Before 1.0 a minor version may change the API (docs/api.md), so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/boltrtcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/boltrtcConfig.cmake
  ${PROJECT_BINARY_DIR}/boltrtcConfigVersion.cmake DESTINATION ${cmake_dir})

# boltrtc.pc is written at install time, so that its prefix is the one installed to
# (cmake --install --prefix P), not the one configured.
install(CODE "
  set(BRTC_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(BRTC_PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(BRTC_PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/boltrtc.pc.in\"
                 \"${PROJECT_BINARY_DIR}/boltrtc.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/boltrtc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
