# Layer doors (../DESIGN.md: "other folders include only doors"), enforced
# by the build: there is no global include directory, so a file finds
# another folder's header only if that folder's library exposes it
# (ctest LayerDoorsTest, tests/doors/doors_test.py, proves it per layer).
#
# laura_layer(TARGET FOLDER HEADER...)
#   TARGET's own sources include any header of FOLDER as "FOLDER/x.h"
#   (a private include directory holding a link to the folder). The
#   targets that link TARGET see only the HEADERs listed: the folder's
#   door and the headers the door includes (a door's own includes must
#   resolve). Any other header of FOLDER is not found: including it from
#   another folder fails to build.
# The links live in the build tree (include_dirs/TARGET/); headers keep
# their paths, so a source reads the same whoever compiles it.
function(laura_layer target folder)
  set(root ${PROJECT_BINARY_DIR}/include_dirs/${target})
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/own ${root}/door/${folder})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${root}/own/${folder} SYMBOLIC)
  laura_expose(${target} ${folder} ${ARGN})
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} PRIVATE ${root}/own)
  endif()
endfunction()

# laura_expose(TARGET FOLDER HEADER...): the targets that link TARGET see
# these headers of FOLDER (and no other).
function(laura_expose target folder)
  set(door ${PROJECT_BINARY_DIR}/include_dirs/${target}/door)
  file(MAKE_DIRECTORY ${door}/${folder})
  foreach(header ${ARGN})
    if(NOT EXISTS ${PROJECT_SOURCE_DIR}/${folder}/${header})
      message(FATAL_ERROR "${target} exposes ${folder}/${header}, which does not exist")
    endif()
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder}/${header} ${door}/${folder}/${header} SYMBOLIC)
  endforeach()
  target_include_directories(${target} INTERFACE $<BUILD_INTERFACE:${door}>)
endfunction()
