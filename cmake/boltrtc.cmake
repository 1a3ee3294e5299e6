# brtc_core(NAME SOURCES... [HELPERS sources...] [DEPS libs...])
#   A protocol core of libboltrtc: its objects (brtc_NAME_objects, position-independent, hidden
#   visibility: only what include/boltrtc/ marks BRTC_EXPORT may leave the shared library) go
#   into libboltrtc.so and libboltrtc.a, and into the static library brtc_NAME that tests link
#   to reach inside. HELPERS are stateless helpers (addresses, byte queues, payload-format
#   parsing) that the tools on top of the library (server, media tools) use too: hidden in
#   libboltrtc.so, so the tools carry their own copy from brtc_helpers.
function(brtc_core name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HELPERS;DEPS" ${ARGN})
  set(objs brtc_${name}_objects)
  add_library(${objs} OBJECT ${ARG_SOURCES})
  brtc_core_objects(${objs} "${ARG_DEPS}")
  # Linking an object library puts its objects into this one, and its usage requirements
  # (includes, DEPS) onto whoever links brtc_NAME.
  add_library(brtc_${name} STATIC)
  target_link_libraries(brtc_${name} PUBLIC ${objs})
  set_property(GLOBAL APPEND PROPERTY BRTC_LIBRARY_OBJECTS ${objs})
  if(ARG_HELPERS)
    add_library(${objs}_helpers OBJECT ${ARG_HELPERS})
    brtc_core_objects(${objs}_helpers "${ARG_DEPS}")
    target_link_libraries(brtc_${name} PUBLIC ${objs}_helpers)
    set_property(GLOBAL APPEND PROPERTY BRTC_LIBRARY_OBJECTS ${objs}_helpers)
    set_property(GLOBAL APPEND PROPERTY BRTC_HELPER_OBJECTS ${objs}_helpers)
  endif()
endfunction()

function(brtc_core_objects objs deps)
  target_include_directories(${objs} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_BINARY_DIR}/include)
  set_target_properties(${objs} PROPERTIES C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${objs} PUBLIC ${deps})
endfunction()

# brtc_tool(NAME SOURCES... [DEPS libs...])
#   A static library on top of libboltrtc (the server's parts, the media tools): it may call
#   only what libboltrtc exports (include/boltrtc/) and brtc_helpers. It links brtc_lib, which
#   is the shared libboltrtc for a program that sets BRTC_LINK_SHARED (the server program,
#   where a call into the library's insides fails to link) and the static one otherwise
#   (tests, which also reach inside).
function(brtc_tool name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(brtc_${name} STATIC ${ARG_SOURCES})
  target_include_directories(brtc_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_BINARY_DIR}/include)
  target_link_libraries(brtc_${name} PUBLIC ${ARG_DEPS} brtc_helpers brtc_lib)
endfunction()

# brtc_test(NAME SOURCES... [DEPS libs...] [LABELS labels...])
#   A unit test program, registered with ctest under its name.
function(brtc_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS "unit;${ARG_LABELS}")
endfunction()
