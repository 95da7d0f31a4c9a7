// Must NOT compile: a secret cannot be streamed into a log or an error message.
// CTest runs the compiler on this file and expects failure (WILL_FAIL).
#include <enfinito/core/secret.hpp>

#include <sstream>

int main() {
  enfinito::core::secret_string s("canary");
  std::ostringstream out;
  out << s;
  return 0;
}
