// core/ids.hpp: the id shapes checked before an id reaches SQL, a file path or JSON.
#include <enfinito/core/ids.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(core_ids)

BOOST_AUTO_TEST_CASE(our_ids_are_letters_digits_underscore_and_dash) {
  BOOST_TEST(core::id_like("ins_0193f2a4b5c6Zz-_9", "ins_"));
  BOOST_TEST(!core::id_like("ins_", "ins_"));          // the prefix alone names nothing
  BOOST_TEST(!core::id_like("msg_0193f2a4", "ins_"));  // another kind of id
  BOOST_TEST(!core::id_like("ins_a/../b", "ins_"));    // a path
  BOOST_TEST(!core::id_like("ins_a\"b", "ins_"));      // JSON would need an escape
  BOOST_TEST(!core::id_like("ins_\xc3\xa9", "ins_"));  // non-ASCII letters are not ours
  BOOST_TEST(!core::id_like(std::string("ins_a\0b", 7), "ins_"));
  BOOST_TEST(core::id_like("ins_" + std::string(60, 'a'), "ins_"));
  BOOST_TEST(!core::id_like("ins_" + std::string(61, 'a'), "ins_"));  // past 64 characters
  BOOST_TEST(core::url_safe_chars(""));                               // callers bound the length
  BOOST_TEST(!core::url_safe_chars("a b"));
}

BOOST_AUTO_TEST_CASE(graph_ids_are_decimal) {
  BOOST_TEST(core::graph_id_like("1037543291543636"));
  BOOST_TEST(!core::graph_id_like(""));
  BOOST_TEST(!core::graph_id_like("12ab"));
  BOOST_TEST(!core::graph_id_like("-12"));
  BOOST_TEST(core::graph_id_like(std::string(32, '7')));
  BOOST_TEST(!core::graph_id_like(std::string(33, '7')));
}

BOOST_AUTO_TEST_SUITE_END()
