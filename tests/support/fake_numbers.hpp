#pragma once
// The two phone numbers (and their WABAs) that most integration tests give the fake Graph API
// and connect: number A is the one of the fake's own default configuration. Tokens and app
// secrets stay in each test file: they are canaries, unique to the file that looks for them.
namespace enfinito::test {

inline constexpr const char* phone_a = "106540352242922";
inline constexpr const char* waba_a = "102290129340398";
inline constexpr const char* phone_b = "106540352249999";
inline constexpr const char* waba_b = "102290129349999";

}  // namespace enfinito::test
