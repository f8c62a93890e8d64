# What `cmake --install` puts under the prefix:
#   lib/liblaura.so.0.1.0 (+ .so.0, .so)  the C API (SONAME liblaura.so.0)
#   lib/liblaura.a                        every layer and the C API, for
#                                         static linking, from C or C++
#                                         (needs Abseil, xxHash and
#                                         libstdc++: see laura.pc)
#   include/laura/*.h                     the public headers: c.h (the C
#                                         API) and the C++ API (db.h and
#                                         what it includes, version.h)
#   lib/cmake/LauraDB/                    find_package(LauraDB): the target
#                                         LauraDB::laura (the shared library)
#   lib/pkgconfig/laura.pc                pkg-config laura [--static]
#   bin/laura                             the shell and tools
# Proven by tests/install/install_test.sh (ctest: InstallTest).
include(CMakePackageConfigHelpers)

# liblaura.a: the layer archives merged into one (ar's MRI script).
set(LAURA_STATIC ${PROJECT_BINARY_DIR}/liblaura.a)
add_custom_command(
  OUTPUT ${LAURA_STATIC}
  COMMAND ${CMAKE_COMMAND} -DAR=${CMAKE_AR} -DOUT=${LAURA_STATIC}
          "-DIN=$<TARGET_FILE:laura_c>|$<TARGET_FILE:laura_engine>|$<TARGET_FILE:laura_btree>|$<TARGET_FILE:laura_wal>|$<TARGET_FILE:laura_storage>"
          -P ${PROJECT_SOURCE_DIR}/cmake/merge_archives.cmake
  DEPENDS laura_c laura_engine laura_btree laura_wal laura_storage
  COMMENT "Merging the layer archives into liblaura.a"
  VERBATIM)
add_custom_target(laura_static ALL DEPENDS ${LAURA_STATIC})

install(TARGETS laura_shared EXPORT LauraDBTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${LAURA_STATIC} DESTINATION ${CMAKE_INSTALL_LIBDIR})
file(GLOB LAURA_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/engine/include/laura/*.h)
install(FILES ${LAURA_PUBLIC_HEADERS} ${PROJECT_BINARY_DIR}/generated/laura/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/laura)
install(TARGETS laura RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT LauraDBTargets NAMESPACE LauraDB:: FILE LauraDBTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/LauraDB)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/LauraDBConfig.cmake.in
  ${PROJECT_BINARY_DIR}/LauraDBConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/LauraDB)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/LauraDBConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/LauraDBConfig.cmake
              ${PROJECT_BINARY_DIR}/LauraDBConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/LauraDB)

# Relocatable: the prefix is found from where laura.pc lies.
file(RELATIVE_PATH LAURA_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
configure_file(${PROJECT_SOURCE_DIR}/cmake/laura.pc.in ${PROJECT_BINARY_DIR}/laura.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/laura.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
