// api::register_all: every group of REST routes, in one list. A new group adds one line here
// and its routes to docs/openapi.json (a test compares the two).
#include <enfinito/api/google_routes.hpp>
#include <enfinito/api/graph_routes.hpp>
#include <enfinito/api/accounts_routes.hpp>
#include <enfinito/api/broadcasts_routes.hpp>
#include <enfinito/api/conversations_routes.hpp>
#include <enfinito/api/events_routes.hpp>
#include <enfinito/api/hooks_routes.hpp>
#include <enfinito/api/instances_routes.hpp>
#include <enfinito/api/limits_routes.hpp>
#include <enfinito/api/inbound_media_routes.hpp>
#include <enfinito/api/instance_alerts_routes.hpp>
#include <enfinito/api/messages_routes.hpp>
#include <enfinito/api/meta_routes.hpp>
#include <enfinito/api/optouts_routes.hpp>
#include <enfinito/api/routes.hpp>
#include <enfinito/api/security_routes.hpp>
#include <enfinito/api/stream_routes.hpp>
#include <enfinito/api/meta_webhook_routes.hpp>

namespace enfinito::api {

void register_all(http::router& r, services& s) {
  register_instance_routes(r, s);
  register_accounts_routes(r, s);
  register_security_routes(r, s);
  register_google_routes(r, s);
  register_meta_webhook_routes(r, s);
  register_event_routes(r, s);
  register_hook_routes(r, s);
  if (s.feed) register_stream_routes(r, s);
  register_messages_routes(r, s);
  register_broadcast_routes(r, s);
  register_conversation_routes(r, s);
  register_graph_routes(r, s);
  register_meta_routes(r, s);
  register_inbound_media_routes(r, s);
  register_optout_routes(r, s);
  register_limits_routes(r, s);
  register_instance_alert_routes(r, s);
  (void)r;
  (void)s;
}

}  // namespace enfinito::api
