/**
 * The server sides of the features, in the order FakeWhatsApp consults them. Adding a feature's server
 * side is one file in `src/testing/` and one line here.
 *
 * @module
 */

import { appStateFeature } from "./server_app_state.ts";
import { mediaFeature } from "./server_media.ts";
import { contactsFeature } from "./server_contacts.ts";
import { presenceFeature } from "./server_presence.ts";
import { privacyFeature } from "./server_privacy.ts";
import { profileFeature } from "./server_profile.ts";
import { groupsFeature } from "./server_groups.ts";
import { startupFeature } from "./server_startup.ts";
import type { ServerFeature } from "./server_feature.ts";
import { callsFeature } from "./server_calls.ts";
import { createMexFeature } from "./server_mex.ts";
import { NEWSLETTER_MEX_OPERATIONS, newsletterFeature } from "./server_newsletters.ts";
import { historyFeature } from "./phone_history.ts";

/** Every feature's server side. */
export const SERVER_FEATURES: readonly ServerFeature[] = [
  startupFeature,
  createMexFeature([...NEWSLETTER_MEX_OPERATIONS]),
  newsletterFeature,
  callsFeature,
  mediaFeature,
  contactsFeature,
  presenceFeature,
  privacyFeature,
  profileFeature,
  groupsFeature,
  historyFeature,
  appStateFeature,
];
