/**
 * Counting a poll's votes: each voter's latest vote replaces their earlier one (WhatsApp sends the whole
 * selection every time; an empty selection withdraws the vote), options are matched by the SHA-256 of
 * their names, and a vote for a single-choice poll that names several options is refused. Pure data: no
 * I/O, bounded by the number of options and voters.
 *
 * @module
 */

import { pollOptionHash } from "./crypto.ts";

/** The most options a tracked poll keeps (WhatsApp allows 12). */
export const MAX_POLL_OPTIONS = 128;
/** The most distinct voters a tracked poll keeps (a large group has a few thousand members). */
export const MAX_POLL_VOTERS = 10_000;

/** A poll as the tally needs it. */
export interface PollDefinition {
  /** The question. */
  name: string;
  /** The option names, in order. */
  options: string[];
  /** How many options a voter may choose; 0 means any number. */
  selectableCount: number;
}

/** One option's count. */
export interface PollOptionResult {
  /** The option's name. */
  name: string;
  /** How many voters chose it. */
  votes: number;
  /** Who chose it (user JID strings), in the order their votes came. */
  voters: string[];
}

/** A poll's current results. */
export interface PollResults {
  /** The question. */
  name: string;
  /** Every option, in the poll's order. */
  options: PollOptionResult[];
  /** How many voters have a vote counted (withdrawn votes not included). */
  voterCount: number;
}

/** What applying a vote did. */
export type VoteOutcome =
  | { kind: "counted"; selected: string[]; unknownOptions: number }
  | { kind: "stale" }
  | { kind: "refused"; reason: string };

interface Ballot {
  hashes: string[];
  timestampMs: number;
}

/** The running count of one poll. */
export class PollTally {
  /** The poll counted. */
  readonly poll: PollDefinition;
  readonly #byHash = new Map<string, number>();
  readonly #ballots = new Map<string, Ballot>();

  /** Starts an empty tally; options beyond {@linkcode MAX_POLL_OPTIONS} are not counted. */
  constructor(poll: PollDefinition) {
    const options = poll.options.slice(0, MAX_POLL_OPTIONS);
    this.poll = { name: poll.name, options, selectableCount: poll.selectableCount };
    options.forEach((name, i) => {
      const hex = pollOptionHash(name).toHex();
      if (!this.#byHash.has(hex)) this.#byHash.set(hex, i);
    });
  }

  /** The option names the given hashes stand for (unknown hashes are skipped). */
  namesOf(hashes: readonly Uint8Array[]): string[] {
    const names: string[] = [];
    for (const h of hashes) {
      const i = this.#byHash.get(h.toHex());
      if (i !== undefined) names.push(this.poll.options[i]);
    }
    return names;
  }

  /**
   * Applies `voter`'s vote made at `timestampMs` (its sender timestamp): it replaces the voter's earlier
   * vote unless that one is newer. Hashes that name no option are ignored (counted in `unknownOptions`);
   * duplicates count once.
   */
  apply(voter: string, hashes: readonly Uint8Array[], timestampMs: number): VoteOutcome {
    const previous = this.#ballots.get(voter);
    if (previous && previous.timestampMs > timestampMs) return { kind: "stale" };
    const known = new Set<string>();
    let unknownOptions = 0;
    for (const h of hashes) {
      const hex = h.toHex();
      if (this.#byHash.has(hex)) known.add(hex);
      else unknownOptions++;
    }
    const limit = this.poll.selectableCount;
    if (limit > 0 && known.size > limit) {
      return { kind: "refused", reason: `the poll allows ${limit} option(s), the vote names ${known.size}` };
    }
    if (!previous && this.#ballots.size >= MAX_POLL_VOTERS) {
      return { kind: "refused", reason: `the tally already holds ${MAX_POLL_VOTERS} voters` };
    }
    // Re-inserting keeps the map in the order of each voter's latest vote.
    this.#ballots.delete(voter);
    this.#ballots.set(voter, { hashes: [...known], timestampMs });
    const selected = [...known].map((hex) => this.poll.options[this.#byHash.get(hex)!]);
    return { kind: "counted", selected, unknownOptions };
  }

  /** The options `voter` currently has chosen (empty when none). */
  voteOf(voter: string): string[] {
    const ballot = this.#ballots.get(voter);
    return ballot ? ballot.hashes.map((hex) => this.poll.options[this.#byHash.get(hex)!]) : [];
  }

  /** The current results. */
  results(): PollResults {
    const options: PollOptionResult[] = this.poll.options.map((name) => ({ name, votes: 0, voters: [] }));
    let voterCount = 0;
    for (const [voter, ballot] of this.#ballots) {
      if (ballot.hashes.length) voterCount++;
      for (const hex of ballot.hashes) {
        const option = options[this.#byHash.get(hex)!];
        option.votes++;
        option.voters.push(voter);
      }
    }
    return { name: this.poll.name, options, voterCount };
  }
}
