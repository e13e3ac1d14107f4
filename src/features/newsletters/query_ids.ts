/**
 * The MEX persisted-query ids of the newsletter (channel) operations and the `data` key of each answer.
 * The ids differ between libraries and change between WhatsApp versions
 * (reference/protocol-facts-features.md 6.2); the defaults are Baileys' (Types/Mex.ts, May 2026), with
 * whatsapp-rust's id for the list of followed channels, which Baileys lacks. Every id each library uses is
 * listed in {@linkcode KNOWN_NEWSLETTER_QUERY_IDS} (FakeWhatsApp answers all of them).
 *
 * @module
 */

/** The newsletter operations done over MEX. */
export type NewsletterOperation =
  | "metadata"
  | "subscribed"
  | "create"
  | "update"
  | "follow"
  | "unfollow"
  | "mute"
  | "unmute";

/** A query id per operation. */
export type NewsletterQueryIds = Record<NewsletterOperation, string>;

/** The ids sent by default. */
export const DEFAULT_NEWSLETTER_QUERY_IDS: Readonly<NewsletterQueryIds> = Object.freeze({
  metadata: "6563316087068696",
  subscribed: "33101596156151910",
  create: "8823471724422422",
  update: "24250201037901610",
  follow: "24404358912487870",
  unfollow: "9767147403369991",
  mute: "29766401636284406",
  unmute: "9864994326891137",
});

/** Every known id of each operation: whatsmeow, Baileys, whatsapp-rust (facts 6.2). */
export const KNOWN_NEWSLETTER_QUERY_IDS: Readonly<Record<NewsletterOperation, readonly string[]>> = Object
  .freeze({
    metadata: ["6563316087068696", "25383075034668475"],
    subscribed: ["6388546374527196", "33101596156151910"],
    create: ["6234210096708695", "8823471724422422", "25149874324715067"],
    update: ["7150902998257522", "24250201037901610"],
    follow: ["9926858900719341", "24404358912487870"],
    unfollow: ["6392786840836363", "9767147403369991"],
    mute: ["6274038279359549", "29766401636284406"],
    unmute: ["6068417879924485", "9864994326891137"],
  });

/** The key of `data` each operation's answer is under. */
export const NEWSLETTER_DATA_KEYS: Readonly<Record<NewsletterOperation, string>> = Object.freeze({
  metadata: "xwa2_newsletter",
  subscribed: "xwa2_newsletter_subscribed",
  create: "xwa2_newsletter_create",
  update: "xwa2_newsletter_update",
  follow: "xwa2_newsletter_join_v2",
  unfollow: "xwa2_newsletter_leave_v2",
  mute: "xwa2_newsletter_mute_v2",
  unmute: "xwa2_newsletter_unmute_v2",
});

/** The `data` keys of the MEX notifications about newsletters (whatsmeow notification.go handleMexNotification). */
export const NEWSLETTER_NOTIFY_KEYS = Object.freeze({
  join: "xwa2_notify_newsletter_on_join",
  leave: "xwa2_notify_newsletter_on_leave",
  muteChange: "xwa2_notify_newsletter_on_mute_change",
});
