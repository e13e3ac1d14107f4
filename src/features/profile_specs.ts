/**
 * The profile IQs as pure specs: profile pictures (`w:profile:picture`), the about text (`status`), the
 * business profile (`w:biz`), and the profile notifications (`picture`, `status`). Shapes from
 * reference/protocol-facts-features.md 5.2-5.4 (whatsmeow user.go `GetProfilePictureInfo`,
 * `GetBusinessProfile`, notification.go `handlePictureNotification`, `handleStatusNotification`; Baileys
 * chats.js `updateProfilePicture`, `removeProfilePicture`, `updateProfileStatus`).
 *
 * @module
 */

import { contentString, getChild, getChildren, Jid, type Node } from "../binary/mod.ts";
import { InputError } from "./errors.ts";
import { badResponse, type IqSpec, requireChild } from "./iq.ts";
import { notificationTime } from "./lenient_attrs.ts";
import { parseUsyncStatus, type UsyncAbout, usyncSpec, usyncUserJid } from "./usync.ts";

/** A profile picture's address. */
export interface ProfilePicture {
  /** The picture id (changes with every new picture). */
  id: string;
  /** Where to download it. */
  url: string;
  /** The media direct path, when given. */
  directPath?: string;
  /** `preview` (a small thumbnail) or `image` (full size). */
  type: "preview" | "image";
  /** SHA-256 of the image, when given. */
  hash?: Uint8Array;
}

/** Options for a profile picture query. */
export interface ProfilePictureQuery {
  /** The small preview instead of the full image. */
  preview?: boolean;
  /** The id we already have: the server answers "unchanged" (`undefined`) when it is current. */
  existingId?: string;
  /** Our tc token for the user (never for groups or ourselves). */
  tcToken?: Uint8Array;
}

/** Largest profile picture accepted for upload (WhatsApp sends 640x640 JPEGs, far below this). */
export const MAX_PROFILE_PICTURE_BYTES = 2 * 1024 * 1024;

/**
 * The profile picture query: `iq(w:profile:picture,get,target=JID) <picture type query="url"
 * [id]>[<tctoken/>]</picture>` → `<picture id url direct_path type hash?/>`. Resolves with `undefined`
 * when there is no picture (404, `status="204"`) or `existingId` is current (`status="304"`); a picture
 * hidden by the owner's privacy settings rejects with `IqError` status 401.
 */
export function profilePictureSpec(
  jid: Jid,
  query: ProfilePictureQuery = {},
): IqSpec<ProfilePicture | undefined> {
  const type = query.preview ? "preview" : "image";
  const spec: IqSpec<ProfilePicture | undefined> = {
    operation: "profile picture",
    about: jid,
    build: () => ({
      namespace: "w:profile:picture",
      type: "get",
      target: jid.toNonAd(),
      content: [{
        tag: "picture",
        attrs: { type, query: "url", id: query.existingId },
        content: query.tcToken ? [{ tag: "tctoken", attrs: {}, content: query.tcToken }] : undefined,
      }],
    }),
    parse: (res: Node) => {
      const picture = getChild(res, "picture");
      if (!picture) {
        if (query.existingId) return undefined;
        throw badResponse(spec, "the answer has no <picture>", res);
      }
      const status = picture.attrs.status;
      if (status === "304" || status === "204") return undefined;
      const error = getChild(picture, "error");
      if (error?.attrs.code === "404") return undefined;
      if (!picture.attrs.id || !picture.attrs.url) throw badResponse(spec, "<picture> lacks id or url", res);
      let hash: Uint8Array | undefined;
      try {
        hash = picture.attrs.hash ? Uint8Array.fromBase64(picture.attrs.hash) : undefined;
      } catch {
        hash = undefined;
      }
      return {
        id: picture.attrs.id,
        url: picture.attrs.url,
        directPath: picture.attrs.direct_path || undefined,
        type: picture.attrs.type === "preview" ? "preview" : "image",
        hash,
      };
    },
  };
  return spec;
}

/**
 * Sets our (or, with `group`, a group's) profile picture: `iq(w:profile:picture,set[,target=GROUP])
 * <picture type="image">jpeg</picture>` → `<picture id/>`. Resolves with the new picture id.
 */
export function setProfilePictureSpec(jpeg: Uint8Array, group?: Jid): IqSpec<string> {
  if (!(jpeg instanceof Uint8Array) || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
    throw new InputError("invalid_argument", "jpeg", "expected JPEG bytes (starting with FF D8)");
  }
  if (jpeg.length > MAX_PROFILE_PICTURE_BYTES) {
    throw new InputError(
      "invalid_argument",
      "jpeg",
      `at most ${MAX_PROFILE_PICTURE_BYTES} bytes (send a 640x640 JPEG), got ${jpeg.length}`,
    );
  }
  const spec: IqSpec<string> = {
    operation: "set profile picture",
    about: group,
    build: () => ({
      namespace: "w:profile:picture",
      type: "set",
      target: group,
      content: [{ tag: "picture", attrs: { type: "image" }, content: jpeg }],
    }),
    parse: (res: Node) => {
      const id = requireChild(spec, res, "picture").attrs.id;
      if (!id) throw badResponse(spec, "<picture> lacks an id", res);
      return id;
    },
  };
  return spec;
}

/** Removes our (or a group's) profile picture: the same IQ with no `<picture>`. */
export function removeProfilePictureSpec(group?: Jid): IqSpec<void> {
  return {
    operation: "remove profile picture",
    about: group,
    build: () => ({ namespace: "w:profile:picture", type: "set", target: group }),
    parse: () => undefined,
  };
}

/** Most characters an about text may have (WhatsApp's limit). */
export const MAX_ABOUT_LENGTH = 139;

/** Sets our about text: `iq(status,set) <status>text</status>`. */
export function setAboutSpec(text: string): IqSpec<void> {
  if (typeof text !== "string" || [...text].length > MAX_ABOUT_LENGTH) {
    throw new InputError("invalid_argument", "text", `expected at most ${MAX_ABOUT_LENGTH} characters`);
  }
  return {
    operation: "set about text",
    build: () => ({
      namespace: "status",
      type: "set",
      content: [{ tag: "status", attrs: {}, content: text }],
    }),
    parse: () => undefined,
  };
}

/** A user's about text as the about-only usync query (`<status/>`, query/interactive) answers it. */
export function aboutSpec(jid: Jid, tcToken?: Uint8Array): IqSpec<UsyncAbout> {
  return usyncSpec({
    operation: "about text",
    about: jid,
    mode: "query",
    context: "interactive",
    protocols: [{ tag: "status", attrs: {} }],
    users: [{
      tag: "user",
      attrs: { jid: jid.toNonAd() },
      content: tcToken ? [{ tag: "tctoken", attrs: {}, content: tcToken }] : undefined,
    }],
  }, (users) => {
    const user = users.find((u) => usyncUserJid(u)?.user === jid.user) ?? users[0];
    return (user && parseUsyncStatus(user)) ?? { hidden: false };
  });
}

/** Business hours of one weekday. */
export interface BusinessHours {
  /** `sun`, `mon`, ... */
  dayOfWeek: string;
  /** `open_24h`, `appointment_only`, `specific_hours`. */
  mode: string;
  /** Opening time in minutes after midnight, for `specific_hours`. */
  openTime?: number;
  /** Closing time in minutes after midnight, for `specific_hours`. */
  closeTime?: number;
}

/** A business account's public profile. */
export interface BusinessProfile {
  /** The business. */
  jid: Jid;
  /** Street address. */
  address?: string;
  /** Email address. */
  email?: string;
  /** Description. */
  description?: string;
  /** Websites. */
  websites: string[];
  /** Categories (id and name). */
  categories: { id: string; name: string }[];
  /** The business hours' time zone. */
  hoursTimezone?: string;
  /** Opening hours. */
  hours: BusinessHours[];
}

function text(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  try {
    return contentString(node) || undefined;
  } catch {
    return undefined;
  }
}

function minutes(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n >= 0 && n <= 1440 ? n : undefined;
}

/**
 * The business profile query: `iq(w:biz,get) <business_profile v="244"><profile jid/></business_profile>`.
 * Resolves with `undefined` when the account has no business profile.
 */
export function businessProfileSpec(jid: Jid): IqSpec<BusinessProfile | undefined> {
  const spec: IqSpec<BusinessProfile | undefined> = {
    operation: "business profile",
    about: jid,
    build: () => ({
      namespace: "w:biz",
      type: "get",
      content: [{
        tag: "business_profile",
        attrs: { v: "244" },
        content: [{ tag: "profile", attrs: { jid: jid.toNonAd() } }],
      }],
    }),
    parse: (res: Node) => {
      const profile = getChild(requireChild(spec, res, "business_profile"), "profile");
      if (!profile) return undefined;
      const owner = profile.attrs.jid ? Jid.tryParse(profile.attrs.jid) : undefined;
      const hoursNode = getChild(profile, "business_hours");
      return {
        jid: owner?.toNonAd() ?? jid.toNonAd(),
        address: text(getChild(profile, "address")),
        email: text(getChild(profile, "email")),
        description: text(getChild(profile, "description")),
        websites: getChildren(profile, "website").map(text).filter((w): w is string => !!w),
        categories: getChildren(getChild(profile, "categories") ?? profile, "category")
          .map((c) => ({ id: c.attrs.id ?? "", name: text(c) ?? "" })),
        hoursTimezone: hoursNode?.attrs.timezone,
        hours: hoursNode
          ? getChildren(hoursNode, "business_hours_config").map((h) => ({
            dayOfWeek: h.attrs.day_of_week ?? "",
            mode: h.attrs.mode ?? "",
            openTime: minutes(h.attrs.open_time),
            closeTime: minutes(h.attrs.close_time),
          }))
          : [],
      };
    },
  };
  return spec;
}

/** Payload of `pictureUpdate`: a user's or group's profile picture changed or was removed. */
export interface PictureUpdateEvent {
  /** Whose picture (a user or group). */
  jid: Jid;
  /** Who changed it (groups). */
  author?: Jid;
  /** When. */
  timestamp: Date;
  /** True when the picture was removed. */
  removed: boolean;
  /** The new picture id (not on removal). */
  pictureId?: string;
}

/** Payload of `userAboutUpdate`: a contact changed their about text. */
export interface UserAboutUpdateEvent {
  /** The contact. */
  jid: Jid;
  /** The new text. */
  about: string;
  /** When. */
  timestamp: Date;
}

/** Parses a `<notification type="picture">` (`<set|add jid id author?/>` or `<delete jid/>` children). */
export function parsePictureNotification(node: Node): PictureUpdateEvent[] {
  const timestamp = notificationTime(node);
  const out: PictureUpdateEvent[] = [];
  for (const child of getChildren(node)) {
    if (child.tag !== "set" && child.tag !== "add" && child.tag !== "delete") continue;
    const jid = (child.attrs.jid ? Jid.tryParse(child.attrs.jid) : undefined) ??
      (node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined);
    if (!jid) continue;
    const author = child.attrs.author ? Jid.tryParse(child.attrs.author)?.toNonAd() : undefined;
    if (child.tag === "delete") {
      out.push({ jid: jid.toNonAd(), author, timestamp, removed: true });
    } else if (child.attrs.id) {
      out.push({ jid: jid.toNonAd(), author, timestamp, removed: false, pictureId: child.attrs.id });
    }
  }
  return out;
}

/** Parses a `<notification type="status" from t><set>text</set></notification>` (about text change). */
export function parseAboutNotification(node: Node): UserAboutUpdateEvent | undefined {
  const set = getChild(node, "set");
  const from = node.attrs.from ? Jid.tryParse(node.attrs.from) : undefined;
  if (!set || !from) return undefined;
  let about: string;
  try {
    about = contentString(set) ?? "";
  } catch {
    return undefined; // not UTF-8: nothing a user could read
  }
  return { jid: from.toNonAd(), about, timestamp: notificationTime(node) };
}
