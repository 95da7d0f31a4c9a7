# Turns a text file into a C++ source defining `const std::string_view NS::NAME`.
# Usage: cmake -DIN=file -DOUT=file.cpp -DNS=enfinito::x -DNAME=y -P embed_text.cmake
file(READ ${IN} TEXT)
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace ${NS} {\nextern const std::string_view ${NAME};\nconst std::string_view ${NAME} = R\"ENFINITO_EMBED(${TEXT})ENFINITO_EMBED\";\n}\n")
