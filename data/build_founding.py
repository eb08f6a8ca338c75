#!/usr/bin/env python3
"""Build data/founding.json, the founding example in the interchange format.

Reads the hand-compiled Murmansk CSVs and the GeoNames extracts from the shared
raw-data folder (default: ../shared/data/raw relative to the repository root,
or the folder given as the first argument) and combines them with the
hand-curated parts held below as literal data: topics, organizations, events,
partnership notes, visit purposes and summaries, protocol titles and summaries,
city translations.

Output is canonical: top-level keys in schema order, records sorted by key,
fields in the order the JSON Schema lists them, absent optional fields
omitted, key lists sorted, `json.dumps(doc, indent=2, ensure_ascii=False)`.

Python 3.11, standard library only. Check the result with check_founding.py.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RAW = REPO / ".." / "shared" / "data" / "raw"
DEFAULT_OUT = REPO / "data" / "founding.json"

# Field order of each record type, as the JSON Schema lists its properties.
FIELDS = {
    "sources": ["key", "title", "url", "publisher", "publishedOn"],
    "topics": ["key", "name", "parent", "description"],
    "cities": ["key", "name", "nativeName", "names", "countryCode", "region", "population",
               "latitude", "longitude", "timezone", "wikidataId", "sources"],
    "organizations": ["key", "name", "kind", "city", "sources"],
    "partnerships": ["key", "cities", "kind", "status", "proposedOn", "establishedOn", "endedOn",
                     "statusHistory", "notes", "topics", "sources"],
    "events": ["key", "name", "kind", "hostCity", "startDate", "endDate", "description", "topics",
               "sources"],
    "visits": ["key", "fromCity", "toCity", "startDate", "endDate", "partnership",
               "headOfDelegation", "purpose", "summary", "topics", "events", "organizations",
               "sources"],
    "protocols": ["key", "kind", "title", "signedOn", "signedIn", "parties", "partnership", "visit",
                  "event", "summary", "topics", "sources"],
}
# Key lists whose order carries no meaning: sorted. (`cities` and `parties` keep their order.)
SORTED_LISTS = {"topics", "sources", "events", "organizations"}
STEP_FIELDS = ["status", "on", "protocol", "city", "note", "sources"]

# The lifecycle (src/domain/lifecycle.rs): forward through these, a repeated INTENT_SIGNED,
# ACTIVE <-> SUSPENDED, ACTIVE or SUSPENDED -> ENDED.
LIFECYCLE = ["PROPOSED", "INTENT_SIGNED", "AGREEMENT_SIGNED", "ACTIVE"]


def allowed(before: str, after: str) -> bool:
    if (before, after) in {("INTENT_SIGNED", "INTENT_SIGNED"), ("ACTIVE", "SUSPENDED"),
                           ("SUSPENDED", "ACTIVE"), ("ACTIVE", "ENDED"), ("SUSPENDED", "ENDED")}:
        return True
    return before in LIFECYCLE and after in LIFECYCLE and LIFECYCLE.index(after) > LIFECYCLE.index(before)

# --------------------------------------------------------------------------------------------
# Hand-curated data
# --------------------------------------------------------------------------------------------

EXTRA_SOURCES = [
    {"key": "geonames", "title": "GeoNames geographical database", "url": "https://www.geonames.org/",
     "publisher": "GeoNames"},
    {"key": "wikidata", "title": "Wikidata", "url": "https://www.wikidata.org/",
     "publisher": "Wikimedia Foundation"},
]

# key: (name, parent, description)
TOPICS = {
    "arctic-development": ("Arctic development", None,
                           "Development of the Arctic: Arctic economy, shipping and the Northern Sea Route."),
    "culture": ("Culture", None, "Cultural exchange, heritage and joint cultural events."),
    "archives": ("Archives", "culture", "Cooperation between city archives."),
    "festivals": ("Festivals", "culture",
                  "Festivals and mass celebrations, such as snow and ice sculpture festivals."),
    "economy": ("Economy", None, "Economic cooperation in general: business contacts and joint projects."),
    "trade": ("Trade", "economy", "Trade in goods and services; trade fairs and exhibitions."),
    "investment": ("Investment", "economy", "Investment and joint investment projects."),
    "fisheries": ("Fisheries", "economy", "Fishing, fish processing and seafood."),
    "mining": ("Mining", "economy", "Mining and mineral resources."),
    "education": ("Education", None, "Schools, universities and educational exchange."),
    "chinese-language": ("Chinese language and culture", "education",
                         "Teaching the Chinese language and culture, e.g. in a Confucius Classroom."),
    "student-teacher-exchange": ("Student and teacher exchange", "education",
                                 "Exchanges of students, schoolchildren and teachers, including summer camps."),
    "health-care": ("Health care", None, "Medical care and cooperation between hospitals and doctors."),
    "rehabilitation": ("Rehabilitation", "health-care",
                       "Rehabilitation therapy, e.g. for children with cerebral palsy and after heart attack or stroke."),
    "distance-medicine": ("Distance medicine", "health-care", "Telemedicine: remote consultation and diagnosis."),
    "doctors-internships": ("Doctors' internships", "health-care",
                            "Internships and training of doctors with specialists of the partner city."),
    "sport": ("Sport", None, "Sports exchanges and competitions."),
    "tourism": ("Tourism", None, "Tourism between the cities, including cruises and winter tourism."),
    "transport": ("Transport", None, "Transport links between the cities."),
    "freight": ("Freight", "transport", "Freight transport."),
    "logistics": ("Logistics", "transport", "Logistics, including routes along the Northern Sea Route."),
}

# Topic labels used in the CSVs ("a (b; c)" = topic a, subtopics b and c) -> topic keys.
TOPIC_LABELS = {
    "arctic development": "arctic-development",
    "chinese language": "chinese-language",
    "chinese language and culture": "chinese-language",
    "culture": "culture",
    "distance medicine": "distance-medicine",
    "doctors' internships": "doctors-internships",
    "economy": "economy",
    "education": "education",
    "festivals": "festivals",
    "fisheries": "fisheries",
    "freight": "freight",
    "health care": "health-care",
    "investment": "investment",
    "logistics": "logistics",
    "mining": "mining",
    "rehabilitation": "rehabilitation",
    "sport": "sport",
    "student and teacher exchange": "student-teacher-exchange",
    "tourism": "tourism",
    "trade": "trade",
    "transport": "transport",
}

# Translations, BCP 47 tag -> name. Every value must occur verbatim in the city's GeoNames
# alternate names (checked below); tags are assigned by hand where script and spelling identify
# the language unambiguously (zh = simplified Han, zh-Hant = traditional Han).
NAMES = {
    "murmansk": {"en": "Murmansk", "fr": "Mourmansk", "ja": "ムルマンスク", "ko": "무르만스크",
                 "nl": "Moermansk", "ru": "Мурманск", "uk": "Мурманськ", "zh-Hant": "摩爾曼斯克"},
    "harbin": {"en": "Harbin", "ja": "ハルビン", "ru": "Харбин", "uk": "Харбін", "vi": "Cáp Nhĩ Tân",
               "zh": "哈尔滨", "zh-Hant": "哈爾濱"},
    "rovaniemi": {"en": "Rovaniemi", "fi": "Rovaniemi", "ja": "ロヴァニエミ", "ko": "로바니에미",
                  "ru": "Рованиеми", "se": "Roavvenjárga", "zh": "罗瓦涅米"},
    "tromso": {"en": "Tromsø", "fi": "Tromssa", "ja": "トロムソ", "ko": "트롬쇠", "no": "Tromsø",
               "ru": "Тромсё", "se": "Romsa", "zh": "特罗姆瑟"},
    "lulea": {"en": "Luleå", "fi": "Luulaja", "ja": "ルレオ", "ko": "룰레오", "ru": "Лулео",
              "sv": "Luleå", "zh-Hant": "呂勒奧"},
    "jacksonville": {"en": "Jacksonville", "ja": "ジャクソンビル", "ko": "잭슨빌", "ru": "Джэксонвилл",
                     "zh": "杰克逊维尔"},
    "groningen": {"en": "Groningen", "fy": "Grins", "ja": "フローニンゲン", "ko": "흐로닝언",
                  "nl": "Groningen", "ru": "Гронинген", "zh": "格罗宁根"},
    "szczecin": {"de": "Stettin", "en": "Szczecin", "ja": "シュチェチン", "ko": "슈체친", "pl": "Szczecin",
                 "ru": "Щецин", "zh": "什切青"},
    "akureyri": {"en": "Akureyri", "is": "Akureyri", "ja": "アークレイリ", "ko": "아쿠레이리",
                 "ru": "Акюрейри", "zh": "阿克雷里"},
    "minsk": {"be": "Мінск", "en": "Minsk", "ja": "ミンスク", "ko": "민스크", "pl": "Mińsk", "ru": "Минск",
              "zh": "明斯克"},
    "alanya": {"en": "Alanya", "ja": "アランヤ", "ko": "알라니아", "ru": "Аланья", "tr": "Alanya",
               "zh": "阿拉尼亚"},
    "cuxhaven": {"de": "Cuxhaven", "en": "Cuxhaven", "ja": "クックスハーフェン", "ko": "쿡스하펜",
                 "ru": "Куксхафен", "zh": "库克斯港"},
    "douarnenez": {"en": "Douarnenez", "fr": "Douarnenez", "ja": "ドゥアルヌネ", "ru": "Дуарнене",
                   "zh": "杜阿尔纳纳"},
    "gomel": {"be": "Гомель", "en": "Gomel", "ja": "ホメリ", "ko": "호멜", "ru": "Гомель",
              "zh": "戈梅利"},
    "lianyungang": {"en": "Lianyungang", "ru": "Ляньюньган", "zh": "连云港", "zh-Hant": "連雲港"},
    "kaliningrad": {"en": "Kaliningrad", "ja": "カリーニングラード", "ko": "칼리닌그라드",
                    "lt": "Karaliaučius", "pl": "Królewiec", "ru": "Калининград", "zh-Hant": "加里寧格勒"},
    "khabarovsk": {"de": "Chabarowsk", "en": "Khabarovsk", "ja": "ハバロフスク", "ko": "하바롭스크",
                   "ru": "Хабаровск", "zh": "哈巴罗夫斯克", "zh-Hant": "哈巴羅夫斯克"},
    "yakutsk": {"de": "Jakutsk", "en": "Yakutsk", "ja": "ヤクーツク", "ko": "야쿠츠크", "ru": "Якутск",
                "sah": "Дьокуускай"},
    "vladivostok": {"de": "Wladiwostok", "en": "Vladivostok", "ja": "ウラジオストク", "ko": "블라디보스토크",
                    "ru": "Владивосток", "zh": "符拉迪沃斯托克"},
    "yuzhno-sakhalinsk": {"de": "Juschno-Sachalinsk", "en": "Yuzhno-Sakhalinsk", "ja": "ユジノサハリンスク",
                          "ko": "유즈노사할린스크", "ru": "Южно-Сахалинск", "zh": "南萨哈林斯克"},
}

# Status `unknown` has no counterpart in the format: recorded as ACTIVE, said in the notes.
UNKNOWN_STATUS = "Current status unknown; recorded as ACTIVE because the format has no unknown status."

# Partnership overrides and notes (faithful English summaries of the CSV notes), by partner key.
PARTNERSHIP_NOTES = {
    "rovaniemi": "Murmansk's first sister city. Murmansk sources date the ties to 1962 (the 60th "
                 "anniversary would have fallen in April 2022); the Independent Barents Observer dates "
                 "the first cooperation agreement to 1965. Rovaniemi city council froze the relation in "
                 "March 2022; Murmansk describes it as paused.",
    "tromso": "Terminated unilaterally by Tromsø municipal council on 26 Oct 2022; the relation had been "
              "frozen since early 2022.",
    "lulea": "Murmansk city council ended the ties on 29 Sep 2022 at the Swedish side's initiative.",
    "vadso": "The year 1973 comes only from a machine-translated tourist page (low confidence); Vadsø was "
             "still listed as a sister city at the end of 2022.",
    "jacksonville": "Jacksonville, Florida (Duval County). Date of twinning from the Jacksonville Sister "
                    "Cities Association.",
    "groningen": "Agreement signed in 1989; the day is inferred: TV21 reported on 19 Jun 2018 that "
                 "20 June marks 29 years of twinning.",
    "szczecin": "Based on the agreement on good-neighbourly and friendly cooperation of 8 Apr 1993. "
                "Cancelled by Szczecin (its letter was reported on 1 Mar 2022); the sister-cities "
                "monument in Murmansk records the end as 31 Mar 2022.",
    "akureyri": "Ended by both sides: Akureyri town council decided on 15 Nov 2022; Murmansk city council "
                "reciprocated on 15 Dec 2022.",
    "minsk": "Nord-News (2024) says the cities became twins in 1995 and that cooperation was reactivated "
             "by a council decision in 2014 (the article marks '10 years' in 2024); other sources may "
             "give 2014.",
    "alanya": "Twinned in 2014; a further agreement on interaction was signed in May 2017.",
    "harbin": "Murmansk's 11th sister city. Protocol of intentions on friendly ties signed 11 Mar 2014; "
              "protocol of intentions on twinning signed 13 Oct 2015; twinning agreement signed 9 Sep "
              "2016 at the Gulf Stream festival in the city's 100th anniversary year. Some later "
              "articles say 'since 2014', counting from the first protocol.",
    "cuxhaven": UNKNOWN_STATUS + " Listed in Wikidata P190 (2016 snapshot) and, with the year 2004, in a "
                "2013 Wikipedia-derived dataset of Baltic Sea Region city pairs, but not in Murmansk's "
                "official list of 11 sister cities. Low confidence.",
    "douarnenez": UNKNOWN_STATUS + " Only in Wikidata P190 (2016 snapshot); not in Murmansk's official "
                  "list of sister cities. Low confidence.",
    "gomel": UNKNOWN_STATUS + " Only in Wikidata P190 (2016 snapshot); not in Murmansk's official list "
             "of sister cities. Gomel is also linked to Harbin. Low confidence.",
    "lianyungang": "Protocol of intentions to establish sister-city relations signed during a Murmansk "
                   "delegation visit, 25-26 Nov 2024; no twinning agreement is reported yet.",
    "kaliningrad": "Domestic inter-municipal cooperation agreement agreed in principle in Aug 2021, with "
                   "signing planned for Oct 2021; the outcome is not verified.",
    # Harbin's Russian partners
    "khabarovsk": "Twinned in 1993: a 2009 article says the relationship had existed for 16 years. A joint "
                  "cooperation committee has worked since 2005.",
    "yakutsk": "Relations started in 2005; official twinning in 2007. A joint events plan for 2023-2025 "
               "and an archives cooperation agreement were signed in Oct 2023.",
    "vladivostok": "Twinning agreement signed on 15 Jun 2017 at the Palace of Friendship in Harbin; Harbin "
                   "became Vladivostok's 15th sister city (Vladivostok's first was Niigata, Feb 1991).",
    "yuzhno-sakhalinsk": "Protocol of intentions on friendship and cooperation signed by the two mayors in "
                         "Oct 2024 during a VARMSU delegation trip.",
}

# Partnership topics, where the cited sources say what the cities cooperate on.
PARTNERSHIP_TOPICS = {
    # agreement of 2016 (health care, education, tourism) and the 2026 cooperation plan
    "murmansk-harbin": ["culture", "education", "health-care", "sport", "tourism", "trade"],
    "murmansk-lianyungang": ["culture", "education", "fisheries", "mining", "sport", "tourism", "trade"],
    # the cited 2009 article is about Harbin health experts giving medical care in Khabarovsk
    "harbin-khabarovsk": ["health-care"],
    "harbin-yakutsk": ["archives"],
}

# Partnerships with no source_keys in the CSV (Wikidata-only rows): cite Wikidata.
PARTNERSHIP_FALLBACK_SOURCES = ["wikidata"]

# Kaliningrad: proposed in the meeting reported on 13 Aug 2021.
PARTNERSHIP_PROPOSED_ON = {"murmansk-kaliningrad": "2021-08"}

KIND = {"sister_city": "SISTER_CITY", "friendship": "FRIENDSHIP", "cooperation": "COOPERATION",
        "partnership": "CONTACT"}
STATUS = {"active": "ACTIVE", "ended": "ENDED", "suspended": "SUSPENDED", "intent_signed": "INTENT_SIGNED",
          "proposed": "PROPOSED", "unknown": "ACTIVE"}

ORGANIZATIONS = [
    {"key": "murmansk-international-lyceum", "name": "Murmansk International Lyceum", "kind": "SCHOOL",
     "city": "murmansk", "sources": ["murman-2016-05-23"]},
    {"key": "murmansk-arctic-state-university", "name": "Murmansk Arctic State University",
     "kind": "UNIVERSITY", "city": "murmansk", "sources": ["murman-2016-05-23"]},
    {"key": "murmansk-city-emergency-hospital", "name": "Murmansk city emergency hospital",
     "kind": "HOSPITAL", "city": "murmansk", "sources": ["murman-2016-05-23"]},
    {"key": "murmansk-city-administration", "name": "Murmansk city administration",
     "kind": "ADMINISTRATION", "city": "murmansk",
     "sources": ["murman-2014-03-10", "murman-2016-05-23", "citymurmansk-2024-05-18"]},
    {"key": "peoples-government-of-harbin", "name": "People's Government of Harbin",
     "kind": "ADMINISTRATION", "city": "harbin",
     "sources": ["murman-2014-03-10", "murman-2016-05-23", "citymurmansk-2015-10-15"]},
    {"key": "harbin-foreign-affairs-office", "name": "Foreign Affairs Office of Harbin",
     "kind": "ADMINISTRATION", "city": "harbin", "sources": ["mk-2025-07-22", "karaul-2025-07-22"]},
]

# Events. Rows of the timeline (type event or meeting) take dates, topics and sources from the
# CSV; the others are given in full here.
EVENTS = {
    "ii-russian-chinese-expo-2015": {
        "name": "II Russian-Chinese EXPO", "kind": "EXHIBITION",
        "description": "Second Russian-Chinese EXPO in Harbin, a large international exhibition of "
                       "Russian and Chinese companies' products; the Murmansk delegation led by mayor "
                       "Alexey Veller attended the opening.",
    },
    "gulf-stream-festival-2016": {
        "name": "Gulf Stream festival 2016", "kind": "FESTIVAL", "hostCity": "murmansk",
        "startDate": "2016-09-09", "endDate": "2016-09-11",
        "description": "Gulf Stream festival in Murmansk in the city's centenary year; the Murmansk-Harbin "
                       "twinning agreement was signed there on 9 September 2016, making Harbin "
                       "Murmansk's 11th sister city.",
        "topics": ["culture", "festivals"],
        "sources": ["murman-2016-05-23", "sputnik-cn-2016-09-09"],
    },
    "murmansk-100th-anniversary-2016": {
        "name": "100th anniversary of Murmansk", "kind": "ANNIVERSARY", "hostCity": "murmansk",
        "startDate": "2016",
        "description": "Celebrations of the centenary of the city of Murmansk in 2016; the Harbin "
                       "delegation of May 2016 discussed Harbin's participation.",
        "topics": ["culture"],
        "sources": ["murman-2016-05-23"],
    },
    "harbin-snow-and-ice-festival-2020": {
        "name": "Harbin International Snow and Ice Festival 2020", "kind": "FESTIVAL", "hostCity": "harbin",
        "startDate": "2020-01",
        "description": "The annual snow and ice festival in Harbin, attended in January 2020 by a Murmansk "
                       "delegation headed by the head of the city, Andrey Sysoev.",
        "topics": ["culture", "festivals", "tourism"],
        "sources": ["bport-2020-01-10"],
    },
    "harbin-snow-and-ice-cities-conference-2020": {
        "name": "Harbin International Conference on Sustainable Development of Snow and Ice Cities 2020",
        "kind": "FORUM", "hostCity": "harbin", "startDate": "2020-01",
        "description": "International conference in Harbin on the sustainable development of snow and ice "
                       "cities, with 41 cities from 20 countries; Murmansk was presented there.",
        "sources": ["bport-2020-01-10"],
    },
    "harbin-shenzhen-russian-cities-conference-2024": {
        "name": "Conference on cooperation between Harbin, Shenzhen and cities of the Russian Federation",
        "kind": "FORUM", "hostCity": "harbin", "startDate": "2024-05", "endDate": "2024-05-18",
        "description": "Conference on interaction and development of cooperation between Harbin, Shenzhen "
                       "and Russian cities; delegations of Murmansk, Moscow, Krasnodar, Khabarovsk, Kazan "
                       "and Yakutsk took part in the plenary session, where the head of Murmansk city "
                       "administration presented Murmansk Region as the flagship of Arctic development.",
        "topics": ["arctic-development", "investment"],
        "sources": ["citymurmansk-2024-05-18"],
    },
    "viii-russian-chinese-expo-2024": {
        "name": "8th Russian-Chinese EXPO", "kind": "EXHIBITION", "hostCity": "harbin",
        "startDate": "2024-05",
        "description": "Eighth Russian-Chinese EXPO at the Harbin International Exhibition and Sports "
                       "Center; the Murmansk delegation visited its pavilions.",
        "topics": ["trade"],
        "sources": ["citymurmansk-2024-05-18"],
    },
    "murmansk-harbin-online-2025-07-22": {
        "name": "Online meeting of Murmansk with the Foreign Affairs Office of Harbin", "kind": "OTHER",
        "hostCity": "murmansk",
        "description": "Online meeting of Murmansk, led by acting head of the city Ivan Lebedev with "
                       "colleagues from the Murmansk Region government, and the Foreign Affairs Office of "
                       "Harbin: cooperation in fisheries, health care and tourism, logistics on the "
                       "Northern Sea Route, and Harbin's support for an ice-sculpture festival in Murmansk.",
    },
    "murmansk-harbin-10th-anniversary-2026-01": {
        "name": "10th anniversary of the Murmansk-Harbin twinning", "kind": "ANNIVERSARY",
        "description": "Tenth anniversary of the twinning, opened in Harbin with the joint ice sculpture "
                       "'Inspiration' (a swan for Harbin, the icebreaker Lenin for Murmansk); a cooperation "
                       "plan for 2026 covering trade, education, culture and sport was agreed.",
    },
}

# Visits: rows of the timeline of type visit, with these additions.
VISITS = {
    "murmansk-harbin-visit-2014-03": {
        "purpose": "First official visit: establish friendly ties and bilateral cooperation with Harbin.",
        "organizations": ["murmansk-city-administration", "peoples-government-of-harbin"],
    },
    "murmansk-harbin-visit-2015-10": {
        "purpose": "Negotiations with Harbin's leadership, a protocol of intentions on twinning and the "
                   "opening of the II Russian-Chinese EXPO.",
        "events": ["ii-russian-chinese-expo-2015"],
        "organizations": ["peoples-government-of-harbin"],
        "summary_extra": "Discussed with Harbin's leadership, companies and organisations: health care, "
                         "transport (in particular freight), partnerships and investment.",
    },
    "harbin-murmansk-visit-2016-05": {
        "purpose": "Return visit to develop the agreements of 2014 and 2015 in education, health care and "
                   "tourism.",
        "events": ["murmansk-100th-anniversary-2016"],
        "organizations": ["murmansk-arctic-state-university", "murmansk-city-administration",
                          "murmansk-city-emergency-hospital", "murmansk-international-lyceum"],
        "summary": "Return visit of an official Harbin delegation to Murmansk, 23-25 May 2016, to develop "
                   "the agreements reached in 2014 and 2015; on 24 May it met the head of the city and the "
                   "head of the city administration. Education: teaching of the Chinese language and "
                   "culture (including the idea of a Chinese-language school on the Confucius Institute "
                   "model) and student and teacher exchange, with the Murmansk International Lyceum and "
                   "Murmansk Arctic State University. Health care, with the Murmansk city emergency "
                   "hospital: rehabilitation therapy for children with cerebral palsy and for patients "
                   "after heart attack and stroke, distance medicine, and internships of Murmansk doctors "
                   "with Harbin specialists. Tourism: North Pole cruises. Harbin's participation in the "
                   "city's 100th anniversary was also discussed.",
    },
    "murmansk-harbin-visit-2020-01": {
        "purpose": "Attend the Harbin snow and ice festival and present Murmansk at the international "
                   "conference of snow and ice cities.",
        "events": ["harbin-snow-and-ice-cities-conference-2020", "harbin-snow-and-ice-festival-2020"],
    },
    "murmansk-harbin-visit-2024-05": {
        "purpose": "Take part in the conference of Harbin, Shenzhen and Russian cities and visit the 8th "
                   "Russian-Chinese EXPO.",
        "events": ["harbin-shenzhen-russian-cities-conference-2024", "viii-russian-chinese-expo-2024"],
        "organizations": ["murmansk-city-administration"],
    },
}

# Protocols: rows of the timeline of type protocol, with these additions.
PROTOCOLS = {
    "murmansk-harbin-protocol-2014-03-11": {
        "kind": "PROTOCOL_OF_INTENTIONS",
        "title": "Protocol of intentions on establishing friendly ties and bilateral cooperation between "
                 "Murmansk city administration and the People's Government of Harbin",
        "signedIn": "harbin", "visit": "murmansk-harbin-visit-2014-03",
        "summary_extra": "Signed during the first Murmansk visit to Harbin by V. A. Dotsnik (deputy head, "
                         "Murmansk city administration) and Nie Yuling (first deputy mayor, Harbin).",
    },
    "murmansk-harbin-protocol-2015-10-13": {
        "kind": "PROTOCOL_OF_INTENTIONS",
        "title": "Protocol of intentions to establish twinning relations between Murmansk and Harbin",
        "signedIn": "harbin", "visit": "murmansk-harbin-visit-2015-10",
        "summary_extra": "Signed during the second Murmansk visit to Harbin; the step before a twinning "
                         "agreement.",
    },
    "murmansk-harbin-agreement-2016-09-09": {
        "kind": "TWINNING_AGREEMENT",
        "title": "Twinning agreement between Murmansk and Harbin",
        "signedIn": "murmansk", "event": "gulf-stream-festival-2016",
        "summary_extra": "Signed in Murmansk during the Gulf Stream festival.",
    },
    "murmansk-lianyungang-protocol-2024-11": {
        "kind": "PROTOCOL_OF_INTENTIONS",
        "title": "Protocol of intentions to establish sister-city relations between Murmansk and Lianyungang",
        "signedIn": "lianyungang",
        "summary": "Protocol of intentions to establish sister-city relations between Murmansk and "
                   "Lianyungang (Jiangsu), signed during a working visit of a delegation of Murmansk city "
                   "administration (25-26 Nov 2024), which also presented Murmansk at a trade and economic "
                   "conference. Fields named for cooperation: culture, education, sport, tourism, mining, "
                   "fisheries and trade.",
    },
}

# Documents named in the partnership notes with real dates (not in the timeline).
EXTRA_PROTOCOLS = [
    {"key": "murmansk-szczecin-agreement-1993-04-08", "kind": "COOPERATION_AGREEMENT",
     "title": "Agreement on good-neighbourly and friendly cooperation between Murmansk and Szczecin",
     "signedOn": "1993-04-08", "parties": ["murmansk", "szczecin"], "partnership": "murmansk-szczecin",
     "summary": "The agreement on which the Murmansk-Szczecin twinning rested; cancelled by Szczecin in "
                "2022 (letter reported on 1 Mar 2022, end recorded as 31 Mar 2022).",
     "sources": ["nordnews-2022-03-01", "nordnews-2022-05-04"]},
    {"key": "murmansk-alanya-agreement-2017-05", "kind": "COOPERATION_AGREEMENT",
     "title": "Further agreement on interaction between Murmansk and Alanya",
     "signedOn": "2017-05", "parties": ["murmansk", "alanya"], "partnership": "murmansk-alanya",
     "summary": "A further agreement on interaction, signed in May 2017, three years after the twinning "
                "of 2014.",
     "sources": ["bport-2022-12-22", "nordnews-2022-12-22"]},
    {"key": "harbin-vladivostok-agreement-2017-06-15", "kind": "TWINNING_AGREEMENT",
     "title": "Twinning agreement between Harbin and Vladivostok",
     "signedOn": "2017-06-15", "signedIn": "harbin", "parties": ["harbin", "vladivostok"],
     "partnership": "harbin-vladivostok",
     "summary": "Signed at the Palace of Friendship in Harbin; Harbin became Vladivostok's 15th sister city.",
     "sources": ["primamedia-2017-06-16"]},
    {"key": "harbin-yuzhno-sakhalinsk-protocol-2024-10", "kind": "PROTOCOL_OF_INTENTIONS",
     "title": "Protocol of intentions on friendship and cooperation between Harbin and Yuzhno-Sakhalinsk",
     "signedOn": "2024-10", "parties": ["harbin", "yuzhno-sakhalinsk"],
     "partnership": "harbin-yuzhno-sakhalinsk",
     "summary": "Signed by the mayors of the two cities during a VARMSU delegation trip.",
     "sources": ["ru24-2024-10"]},
    {"key": "harbin-yakutsk-archives-agreement-2023-10", "kind": "COOPERATION_AGREEMENT",
     "title": "Archives cooperation agreement between Harbin and Yakutsk",
     "signedOn": "2023-10", "parties": ["harbin", "yakutsk"], "partnership": "harbin-yakutsk",
     "summary": "Agreement on cooperation in the field of archives, signed in Oct 2023 together with a "
                "joint events plan for 2023-2025.",
     "topics": ["archives"], "sources": ["baikal24-2023-10-19"]},
    {"key": "harbin-yakutsk-events-plan-2023-10", "kind": "OTHER",
     "title": "Joint events plan of Harbin and Yakutsk for 2023-2025",
     "signedOn": "2023-10", "parties": ["harbin", "yakutsk"], "partnership": "harbin-yakutsk",
     "summary": "Plan of joint events for 2023-2025, signed in Oct 2023 together with an archives "
                "cooperation agreement.",
     "sources": ["baikal24-2023-10-19"]},
]

FOUNDING_PARTNERSHIP = "murmansk-harbin"

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

# Endings and freezes one side took before (or without) the other: the steps with `city`, from
# the partnership's notes and their sources. The lifecycle has no second ENDED, so a twinning
# one council ended before the other is SUSPENDED by the first side, ENDED by the second.
SIDE_STEPS = {
    "murmansk-akureyri": [
        {"status": "SUSPENDED", "on": "2022-11-15", "city": "akureyri",
         "note": "Akureyri town council decided to end the twinning; Murmansk had not yet.",
         "sources": ["dzen-2022-11"]},
        {"status": "ENDED", "on": "2022-12-15", "city": "murmansk",
         "note": "Murmansk city council reciprocated: the twinning ended on both sides.",
         "sources": ["cmio-2022-12-15", "nordnews-2022-12-15", "rbc-2022-12-15"]},
    ],
    "murmansk-lulea": [
        {"status": "ENDED", "on": "2022-09-29", "city": "murmansk",
         "note": "Murmansk city council ended the ties at the Swedish side's initiative.",
         "sources": ["dzen-2022-09-27", "ria-2022-09-29"]},
    ],
    "murmansk-rovaniemi": [
        {"status": "SUSPENDED", "on": "2022-03", "city": "rovaniemi",
         "note": "Rovaniemi city council froze the relation.",
         "sources": ["barentsobserver-2022-10-25"]},
    ],
    "murmansk-szczecin": [
        {"status": "ENDED", "on": "2022-03-31", "city": "szczecin",
         "note": "Cancelled by Szczecin; the sister-cities monument in Murmansk records the end as "
                 "31 Mar 2022.",
         "sources": ["nordnews-2022-03-01", "nordnews-2022-05-04"]},
    ],
    "murmansk-tromso": [
        {"status": "ENDED", "on": "2022-10-26", "city": "tromso",
         "note": "Terminated unilaterally by Tromsø municipal council.",
         "sources": ["barentsobserver-2022-10-25", "nordnews-2022-10-26"]},
    ],
}


def sort_key(day: str) -> str:
    """The first day a partial date covers, as text that sorts by date."""
    return (day + "-01-01")[:10] if len(day) == 4 else (day + "-01")[:10]


def last_day(day: str) -> str:
    """The last day a partial date covers."""
    parts = day.split("-")
    if len(parts) == 3:
        return day
    year = int(parts[0])
    month = int(parts[1]) if len(parts) == 2 else 12
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def status_history(p: dict, protocols: list[dict]) -> list[dict]:
    """The partnership's lifecycle as steps, by the rules import derives it with when a document
    gives none (src/interchange/status_changes.rs): proposed, each signed protocol of intentions
    and the twinning agreement signed up to the establishment, active, and the ending (the side
    steps of SIDE_STEPS instead where a side acted alone), closed by the current status."""
    steps = []
    if "proposedOn" in p:
        steps.append({"status": "PROPOSED", "on": p["proposedOn"]})
    established = p.get("establishedOn")
    for pr in protocols:
        status = {"PROTOCOL_OF_INTENTIONS": "INTENT_SIGNED",
                  "TWINNING_AGREEMENT": "AGREEMENT_SIGNED"}.get(pr["kind"])
        if status is None or "signedOn" not in pr:
            continue  # an unsigned protocol is evidence for no step
        if established and sort_key(pr["signedOn"]) > last_day(established):
            continue  # later agreements deepen a partnership, they do not create it
        steps.append({"status": status, "on": pr["signedOn"], "protocol": pr["key"]})
    if established:
        steps.append({"status": "ACTIVE", "on": established})
    rank = {s: i for i, s in enumerate(LIFECYCLE + ["SUSPENDED", "ENDED"])}
    steps.sort(key=lambda s: (sort_key(s["on"]), rank[s["status"]]))
    sides = SIDE_STEPS.get(p["key"])
    if sides:
        steps += [{k: s[k] for k in STEP_FIELDS if k in s} for s in sides]
    elif "endedOn" in p:
        steps.append({"status": "SUSPENDED" if p["status"] == "SUSPENDED" else "ENDED",
                      "on": p["endedOn"]})
    if not steps or steps[-1]["status"] != p["status"]:
        steps.append({"status": p["status"]})
    for before, after in zip(steps, steps[1:]):
        if not allowed(before["status"], after["status"]):
            raise ValueError(f"{p['key']}: {after['status']} cannot follow {before['status']}")
    return steps


FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "ł": "l"})


def slug(text: str) -> str:
    """Lowercase ASCII slug of an English name: 'Tromsø' -> 'tromso'."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def record(table: str, /, **values) -> dict:
    """A record with fields in schema order; empty values dropped, unordered key lists sorted."""
    unknown = set(values) - set(FIELDS[table])
    if unknown:
        raise ValueError(f"{table}: unknown fields {sorted(unknown)}")
    out = {}
    for field in FIELDS[table]:
        value = values.get(field)
        if value is None or value == "" or value == [] or value == {}:
            continue
        if field in SORTED_LISTS:
            value = sorted(set(value))
        elif field == "names":
            value = dict(sorted(value.items()))
        out[field] = value
    return out


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_tsv(path: Path, wanted: set[str]) -> dict[str, dict]:
    """Rows of a GeoNames TSV whose geonameid is in `wanted`, by geonameid."""
    rows = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["geonameid"] in wanted:
                rows[row["geonameid"]] = row
    return rows


def split_keys(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def parse_topics(text: str) -> list[str]:
    """'education (Chinese language; exchange);tourism' -> [education, chinese-language, ..., tourism]."""
    items, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == ";" and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    keys = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        match = re.fullmatch(r"([^()]+?)\s*(?:\((.*)\))?", item)
        if not match:
            raise ValueError(f"unparsable topic {item!r}")
        labels = [match.group(1)] + [s for s in (match.group(2) or "").split(";") if s.strip()]
        for label in labels:
            label = label.strip().lower()
            if label not in TOPIC_LABELS:
                raise ValueError(f"unknown topic label {label!r}")
            keys.append(TOPIC_LABELS[label])
    return keys


def with_extra(text: str, extra: str | None) -> str:
    return f"{text} {extra}" if extra else text


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


def build(raw: Path) -> dict:
    mur = raw / "murmansk"
    source_rows = read_csv(mur / "murmansk_sources.csv")
    partner_rows = read_csv(mur / "murmansk_partnerships.csv")
    harbin_rows = read_csv(mur / "harbin_russian_partnerships.csv")
    timeline = read_csv(mur / "murmansk_harbin_timeline.csv")

    # Sources ------------------------------------------------------------------------------
    sources = [record("sources", key=r["key"], title=r["title"], url=r["url"], publisher=r["publisher"],
                      publishedOn=r["published"]) for r in source_rows]
    sources += [record("sources", **s) for s in EXTRA_SOURCES]

    # Cities: Harbin and Murmansk appear as partners in each other's file ---------------------
    city_rows = {}  # key -> (english name, native name, country, geonameid, wikidata id)
    for r in partner_rows:
        city_rows[slug(r["partner_city"])] = (r["partner_city"], r["partner_native_name"],
                                              r["partner_country_code"], r["partner_geonameid"],
                                              r["partner_wikidata_id"])
    for r in harbin_rows:
        city_rows[slug(r["russian_city"])] = (r["russian_city"], r["native_name"], r["country_code"],
                                              r["geonameid"], r["wikidata_id"])
    for needed in ("murmansk", "harbin"):
        if needed not in city_rows:
            raise ValueError(f"{needed} missing from the partnership CSVs")

    wanted = {row[3] for row in city_rows.values()}
    geo = raw / "geo"
    geo_cities = read_tsv(geo / "geonames_cities1000.tsv", wanted)
    geo_alt = read_tsv(geo / "geonames_cities15000_alternatenames.tsv", wanted)
    admin1 = {}
    with (geo / "geonames_admin1_names.tsv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            admin1[(row["country_code"], row["admin1_code"])] = row["admin1_name"]

    cities = []
    for key, (name, native, country, geonameid, qid) in city_rows.items():
        g = geo_cities.get(geonameid)
        if g is None:
            raise ValueError(f"{key}: geonameid {geonameid} not in cities1000")
        if g["country_code"] != country:
            raise ValueError(f"{key}: country {country} != GeoNames {g['country_code']}")
        names = NAMES.get(key, {})
        if names:
            alt = geo_alt.get(geonameid)
            if alt is None:
                raise ValueError(f"{key}: translations given but no GeoNames alternate names")
            known = set(alt["alternatenames"].split("|")) | {alt["name"]}
            missing = {tag: n for tag, n in names.items() if n not in known and n != name}
            if missing:
                raise ValueError(f"{key}: names not in GeoNames alternate names: {missing}")
        cities.append(record(
            "cities", key=key, name=name, nativeName=native, names=names, countryCode=country,
            region=admin1.get((country, g["admin1_code"])), population=int(g["population"]),
            latitude=float(g["latitude"]), longitude=float(g["longitude"]), timezone=g["timezone"],
            wikidataId=qid, sources=["geonames"] + (["wikidata"] if qid else [])))

    # Partnerships ---------------------------------------------------------------------------
    partnerships = []

    def add_partnership(first: str, partner_name: str, r: dict) -> None:
        partner = slug(partner_name)
        key = f"{first}-{partner}"
        status = STATUS[r["status_2025"]]
        established = r["established"]
        precision = {4: "year", 7: "month", 10: "day"}.get(len(established))
        if established and precision != r["established_precision"]:
            raise ValueError(f"{key}: precision {r['established_precision']} != {established}")
        if status in ("INTENT_SIGNED", "PROPOSED"):
            established = ""  # the protocol of intentions carries the date
        partnerships.append(record(
            "partnerships", key=key, cities=[first, partner], kind=KIND[r["kind"]], status=status,
            proposedOn=PARTNERSHIP_PROPOSED_ON.get(key), establishedOn=established, endedOn=r["ended"],
            notes=PARTNERSHIP_NOTES[partner], topics=PARTNERSHIP_TOPICS.get(key, []),
            sources=split_keys(r["source_keys"]) or PARTNERSHIP_FALLBACK_SOURCES))

    for r in partner_rows:
        add_partnership("murmansk", r["partner_city"], r)
    for r in harbin_rows:
        if slug(r["russian_city"]) == "murmansk":
            continue  # same relation as murmansk-harbin
        add_partnership("harbin", r["russian_city"], r)

    # Timeline: events, visits, protocols ------------------------------------------------------
    def city_key(name: str) -> str:
        key = slug(name)
        if key not in city_rows:
            raise ValueError(f"unknown city {name!r}")
        return key

    events, visits, protocols = [], [], []
    seen = set()
    for r in timeline:
        key, kind = r["key"], r["type"]
        start, end = r["date_start"], r["date_end"]
        end = "" if end == start else end
        topics = parse_topics(r["topics"])
        srcs = split_keys(r["source_keys"])
        seen.add(key)
        if kind in ("event", "meeting"):
            e = EVENTS[key]
            host = city_key(r["to_city"]) if kind == "event" else e["hostCity"]
            events.append(record("events", key=key, name=e["name"], kind=e["kind"], hostCity=host,
                                 startDate=start, endDate=end, description=e["description"],
                                 topics=topics, sources=srcs))
        elif kind == "visit":
            v = VISITS[key]
            frm, to = city_key(r["from_city"]), city_key(r["to_city"])
            visits.append(record(
                "visits", key=key, fromCity=frm, toCity=to, startDate=start, endDate=end,
                partnership=FOUNDING_PARTNERSHIP if {frm, to} == {"murmansk", "harbin"} else None,
                headOfDelegation=r["people"], purpose=v["purpose"],
                summary=v.get("summary") or with_extra(r["summary"], v.get("summary_extra")),
                topics=topics, events=v.get("events", []), organizations=v.get("organizations", []),
                sources=srcs))
        elif kind == "protocol":
            p = PROTOCOLS[key]
            parties = [city_key(r["from_city"]), city_key(r["to_city"])]
            partnership = "-".join(parties)
            protocols.append(record(
                "protocols", key=key, kind=p["kind"], title=p["title"], signedOn=start,
                signedIn=p.get("signedIn"), parties=parties, partnership=partnership,
                visit=p.get("visit"), event=p.get("event"),
                summary=p.get("summary") or with_extra(r["summary"], p.get("summary_extra")),
                topics=topics, sources=srcs))
        else:
            raise ValueError(f"{key}: unknown type {kind!r}")

    for key, e in EVENTS.items():
        if key not in seen:
            events.append(record("events", key=key, **e))
    protocols += [record("protocols", **p) for p in EXTRA_PROTOCOLS]
    for table, curated in (("VISITS", VISITS), ("PROTOCOLS", PROTOCOLS)):
        stale = set(curated) - seen
        if stale:
            raise ValueError(f"{table} entries without a timeline row: {sorted(stale)}")

    topics = [record("topics", key=k, name=n, parent=p, description=d) for k, (n, p, d) in TOPICS.items()]
    organizations = [record("organizations", **o) for o in ORGANIZATIONS]

    def by_key(rows: list[dict]) -> list[dict]:
        return sorted(rows, key=lambda row: row["key"].encode())

    partnerships = [record("partnerships", **{**p, "statusHistory": status_history(p, sorted(
        [pr for pr in protocols if pr.get("partnership") == p["key"]],
        key=lambda pr: (sort_key(pr.get("signedOn", "9999")), pr["key"].encode())))})
        for p in partnerships]

    return {
        "version": 1,
        "sources": by_key(sources),
        "topics": by_key(topics),
        "cities": by_key(cities),
        "organizations": by_key(organizations),
        "partnerships": by_key(partnerships),
        "events": by_key(events),
        "visits": by_key(visits),
        "protocols": by_key(protocols),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", type=Path, default=DEFAULT_RAW,
                        help="raw data folder (default: ../shared/data/raw from the repository root)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT, help="output file")
    args = parser.parse_args()
    doc = build(args.raw.resolve())
    args.output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = ", ".join(f"{k} {len(v)}" for k, v in doc.items() if isinstance(v, list))
    print(f"wrote {args.output}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
