# Merges the static archives IN (a list) into OUT with ar's MRI script:
#   cmake -DAR=ar -DOUT=liblaura.a -DIN="a.a|b.a" -P merge_archives.cmake
string(REPLACE "|" ";" IN "${IN}")
set(script "create ${OUT}\n")
foreach(archive IN LISTS IN)
  string(APPEND script "addlib ${archive}\n")
endforeach()
string(APPEND script "save\nend\n")
file(WRITE ${OUT}.mri "${script}")
file(REMOVE ${OUT})
execute_process(COMMAND ${AR} -M INPUT_FILE ${OUT}.mri RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "ar -M failed merging into ${OUT}")
endif()
