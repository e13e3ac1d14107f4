/**
 * The server sides of the features, in the order FakeWhatsApp consults them. Adding a feature's server
 * side is one file in `src/testing/` and one line here.
 *
 * @module
 */

import { groupsFeature } from "./server_groups.ts";
import { startupFeature } from "./server_startup.ts";
import type { ServerFeature } from "./server_feature.ts";

/** Every feature's server side. */
export const SERVER_FEATURES: readonly ServerFeature[] = [
  startupFeature,
  groupsFeature,
];
