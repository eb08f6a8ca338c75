/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** What kind of event a city hosts. */
export type EventKind =
  /** An anniversary celebration. */
  | 'ANNIVERSARY'
  /** An exhibition or expo. */
  | 'EXHIBITION'
  /** A festival. */
  | 'FESTIVAL'
  /** A forum or conference. */
  | 'FORUM'
  /** Any other event, such as an online meeting. */
  | 'OTHER';

/** What kind of tie binds two cities. */
export type PartnershipKind =
  /** Regular contact without an agreement. */
  | 'CONTACT'
  /** A cooperation agreement in given fields. */
  | 'COOPERATION'
  /** Friendship ties below twinning. */
  | 'FRIENDSHIP'
  /** A partnership limited to a project. */
  | 'PROJECT'
  /** Formal twinning by agreement. */
  | 'SISTER_CITY';

/**
 * Where a partnership stands in its lifecycle: proposed → intent signed →
 * agreement signed → active → suspended ⇄ active → ended.
 */
export type PartnershipStatus =
  /** The partnership is in force. */
  | 'ACTIVE'
  /** The agreement has been signed. */
  | 'AGREEMENT_SIGNED'
  /** Terminated. */
  | 'ENDED'
  /** A protocol of intentions has been signed. */
  | 'INTENT_SIGNED'
  /** Suggested by one side; nothing signed yet. */
  | 'PROPOSED'
  /** Paused by at least one side. */
  | 'SUSPENDED';

/** How much of a date is known. */
export type Precision =
  /** The exact day. */
  | 'DAY'
  /** The year and month. */
  | 'MONTH'
  /** Only the year. */
  | 'YEAR';

/** What kind of document a protocol is. */
export type ProtocolKind =
  /** A cooperation agreement in given fields. */
  | 'COOPERATION_AGREEMENT'
  /** A memorandum of understanding. */
  | 'MEMORANDUM'
  /** Any other signed document. */
  | 'OTHER'
  /** A protocol of intentions. */
  | 'PROTOCOL_OF_INTENTIONS'
  /** The twinning (sister city) agreement itself. */
  | 'TWINNING_AGREEMENT';

export type CityQueryVariables = Exact<{
  key: string;
  asOf: string | null | undefined;
  includeEnded: boolean;
}>;


export type CityQuery = { city: { key: string, name: string, nativeName: string | null, countryCode: string, region: string | null, population: number | null, latitude: number | null, longitude: number | null, timezone: string | null, wikidataId: string | null, translations: Array<{ lang: string, name: string }>, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> }, sisterCities: Array<{ ordinal: number | null, city: { key: string, name: string, nativeName: string | null, countryCode: string, latitude: number | null, longitude: number | null }, partnership: { key: string, status: PartnershipStatus, established: { value: string } | null, ended: { value: string } | null } }> } | null };

export type PartnershipQueryVariables = Exact<{
  key: string;
}>;


export type PartnershipQuery = { partnership: { key: string, title: string, status: PartnershipStatus, kind: PartnershipKind, notes: string | null, established: { value: string } | null, ended: { value: string } | null, cities: Array<{ key: string, name: string, nativeName: string | null, countryCode: string }>, statusHistory: { nodes: Array<{ status: PartnershipStatus, note: string | null, date: { value: string } | null }> }, timeline: { totalCount: number, nodes: Array<
        | { __typename: 'Event', key: string, title: string, description: string | null, eventKind: EventKind, start: { value: string, precision: Precision, start: string, end: string }, end: { value: string, end: string } | null, hostCity: { key: string, name: string }, topics: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
        | { __typename: 'Protocol', key: string, title: string, summary: string | null, protocolKind: ProtocolKind, signed: { value: string, precision: Precision, start: string, end: string } | null, topics: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
        | { __typename: 'StatusChange', status: PartnershipStatus, note: string | null, date: { value: string, precision: Precision, start: string, end: string } | null, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
        | { __typename: 'Visit', key: string, title: string, purpose: string | null, summary: string | null, headOfDelegation: string | null, start: { value: string, precision: Precision, start: string, end: string }, end: { value: string, end: string } | null, fromCity: { key: string, name: string }, toCity: { key: string, name: string }, topics: { nodes: Array<{ key: string, name: string }> }, organizations: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
      > } } | null };

export type SearchQueryVariables = Exact<{
  query: string;
}>;


export type SearchQuery = { search: { totalCount: number, edges: Array<{ textMatches: Array<{ field: string, fragment: string, highlights: Array<{ start: number, end: number }> }>, node:
        | { __typename: 'City', key: string, title: string }
        | { __typename: 'Event', key: string, title: string, hostCity: { key: string } }
        | { __typename: 'Organization', key: string, title: string }
        | { __typename: 'Partnership', key: string, title: string }
        | { __typename: 'Protocol', key: string, title: string, partnership: { key: string } | null }
        | { __typename: 'Source', url: string | null, key: string, title: string }
        | { __typename: 'Topic', key: string, title: string }
        | { __typename: 'Visit', key: string, title: string, partnership: { key: string } | null }
       }> } };

export type StatsQueryVariables = Exact<{ [key: string]: never; }>;


export type StatsQuery = { stats: { partnershipsByYear: Array<{ key: string, count: number }>, partnershipsByCountry: Array<{ key: string, count: number }>, partnershipsByStatus: Array<{ key: string, count: number }>, visitsByTopic: Array<{ key: string, count: number }> } };

export type TimelineItemAddedSubscriptionVariables = Exact<{
  partnership: string;
}>;


export type TimelineItemAddedSubscription = { timelineItemAdded:
    | { __typename: 'Event', key: string, title: string, description: string | null, eventKind: EventKind, start: { value: string, precision: Precision, start: string, end: string }, end: { value: string, end: string } | null, hostCity: { key: string, name: string }, topics: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
    | { __typename: 'Protocol', key: string, title: string, summary: string | null, protocolKind: ProtocolKind, signed: { value: string, precision: Precision, start: string, end: string } | null, topics: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
    | { __typename: 'StatusChange', status: PartnershipStatus, note: string | null, date: { value: string, precision: Precision, start: string, end: string } | null, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
    | { __typename: 'Visit', key: string, title: string, purpose: string | null, summary: string | null, headOfDelegation: string | null, start: { value: string, precision: Precision, start: string, end: string }, end: { value: string, end: string } | null, fromCity: { key: string, name: string }, toCity: { key: string, name: string }, topics: { nodes: Array<{ key: string, name: string }> }, organizations: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } }
   };

export type SourceFieldsFragment = { key: string, title: string, url: string | null, publisher: string | null };

type TimelineItemFields_Event_Fragment = { __typename: 'Event', key: string, title: string, description: string | null, eventKind: EventKind, start: { value: string, precision: Precision, start: string, end: string }, end: { value: string, end: string } | null, hostCity: { key: string, name: string }, topics: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } };

type TimelineItemFields_Protocol_Fragment = { __typename: 'Protocol', key: string, title: string, summary: string | null, protocolKind: ProtocolKind, signed: { value: string, precision: Precision, start: string, end: string } | null, topics: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } };

type TimelineItemFields_StatusChange_Fragment = { __typename: 'StatusChange', status: PartnershipStatus, note: string | null, date: { value: string, precision: Precision, start: string, end: string } | null, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } };

type TimelineItemFields_Visit_Fragment = { __typename: 'Visit', key: string, title: string, purpose: string | null, summary: string | null, headOfDelegation: string | null, start: { value: string, precision: Precision, start: string, end: string }, end: { value: string, end: string } | null, fromCity: { key: string, name: string }, toCity: { key: string, name: string }, topics: { nodes: Array<{ key: string, name: string }> }, organizations: { nodes: Array<{ key: string, name: string }> }, sources: { nodes: Array<{ key: string, title: string, url: string | null, publisher: string | null }> } };

export type TimelineItemFieldsFragment =
  | TimelineItemFields_Event_Fragment
  | TimelineItemFields_Protocol_Fragment
  | TimelineItemFields_StatusChange_Fragment
  | TimelineItemFields_Visit_Fragment
;

export type TopicQueryVariables = Exact<{
  key: string;
}>;


export type TopicQuery = { topic: { key: string, name: string, description: string | null, ancestors: Array<{ key: string, name: string }>, children: { nodes: Array<{ key: string, name: string }> }, visits: { nodes: Array<{ key: string, title: string, purpose: string | null, start: { value: string }, partnership: { key: string, title: string } | null }> }, protocols: { nodes: Array<{ key: string, title: string, signed: { value: string } | null, partnership: { key: string, title: string } | null }> }, events: { nodes: Array<{ key: string, title: string, start: { value: string }, hostCity: { key: string, name: string } }> } } | null };

export type TopicsQueryVariables = Exact<{ [key: string]: never; }>;


export type TopicsQuery = { topics: { nodes: Array<{ key: string, name: string, parent: { key: string } | null }> } };
