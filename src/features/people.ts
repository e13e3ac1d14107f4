/**
 * The social surface of an account, built together because its parts share state and must all see
 * their notifications from the first login: trusted-contact tokens (used by presence, profile pictures,
 * user info and 1:1 sends), presence (used by the push-name setter), chat states, contacts, profile,
 * blocking, privacy and status posts. The client builds one {@linkcode People} in its constructor and
 * exposes each part as a namespace (`client.presence`, `client.contacts`, ...).
 *
 * @module
 */

import type { FeatureContext } from "./context.ts";
import { Blocking, type BlockingEvents } from "./blocking.ts";
import { type ChatStateEvents, ChatStates } from "./chatstate.ts";
import { type ContactEvents, Contacts } from "./contacts.ts";
import type { MessageEvent } from "./message_info.ts";
import { Presence, type PresenceEvents } from "./presence.ts";
import { Privacy, type PrivacyEvents } from "./privacy.ts";
import { Profile, type ProfileEvents } from "./profile.ts";
import { Status, type StatusEvents } from "./status.ts";
import { type TcTokenEvents, TcTokens } from "./tctoken.ts";

/** Every event of the people features. */
export interface PeopleEvents
  extends
    PresenceEvents,
    ChatStateEvents,
    ContactEvents,
    ProfileEvents,
    BlockingEvents,
    PrivacyEvents,
    StatusEvents {}

/** Makes the context of one part (its own logger target and event map). */
export type ContextFactory = <E>(name: string) => FeatureContext<E>;

/** The people features of one client. */
export class People {
  /** Trusted-contact tokens. */
  readonly tcTokens: TcTokens;
  /** Our presence and subscriptions. */
  readonly presence: Presence;
  /** Typing indicators. */
  readonly chatstate: ChatStates;
  /** Lookups and contact notifications. */
  readonly contacts: Contacts;
  /** Push name, about, pictures, business profiles. */
  readonly profile: Profile;
  /** The blocklist. */
  readonly blocking: Blocking;
  /** Privacy settings. */
  readonly privacy: Privacy;
  /** Status posts. */
  readonly status: Status;

  /** Builds every part; each subscribes to its stanzas at once. */
  constructor(context: ContextFactory) {
    this.tcTokens = new TcTokens(context<TcTokenEvents>("TcToken"));
    this.presence = new Presence(context<PresenceEvents>("Presence"), this.tcTokens);
    this.chatstate = new ChatStates(context<ChatStateEvents>("ChatState"));
    this.contacts = new Contacts(context<ContactEvents>("Contacts"), this.tcTokens);
    this.profile = new Profile(context<ProfileEvents>("Profile"), this.tcTokens, this.presence);
    this.blocking = new Blocking(context<BlockingEvents>("Blocking"));
    this.privacy = new Privacy(context<PrivacyEvents>("Privacy"));
    this.status = new Status(context<StatusEvents>("Status"));
  }

  /** Watches every received message: push-name changes and contacts' status posts. */
  async onMessage(event: MessageEvent): Promise<void> {
    await this.profile.notePushName(event);
    await this.status.noteMessage(event);
  }
}
