#pragma once
// A temporary directory removed with everything in it when the test ends.
#include <filesystem>
#include <string>

namespace enfinito::test {

class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/** Reads a whole file (empty when missing). */
std::string read_file(const std::filesystem::path& p);
/** Writes a file, creating or truncating it, with the given mode. */
void write_file(const std::filesystem::path& p, const std::string& content, unsigned mode = 0600);

}  // namespace enfinito::test
