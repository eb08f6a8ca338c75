// Words and shapes shared by the pages.

export const STATUS_LABEL: Record<string, string> = {
  PROPOSED: "proposed",
  INTENT_SIGNED: "intent signed",
  AGREEMENT_SIGNED: "agreement signed",
  ACTIVE: "active",
  SUSPENDED: "suspended",
  ENDED: "ended",
};

export const statusLabel = (status: string) => STATUS_LABEL[status] ?? status.toLowerCase().replace(/_/g, " ");

/** "1st", "2nd", "11th", "23rd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th"}`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A partial date in words: "2015", "March 2014", "13 October 2015". */
export function partialDate(value: string | null | undefined): string {
  if (!value) return "date unknown";
  const [y, m, d] = value.split("-");
  if (!m) return y;
  const month = MONTHS[Number(m) - 1] ?? m;
  return d ? `${Number(d)} ${month} ${y}` : `${month} ${y}`;
}

/** The language of a city's native name: the translation it equals, else its country's main language. */
const COUNTRY_LANG: Record<string, string> = {
  RU: "ru", CN: "zh", BY: "be", UA: "uk", JP: "ja", KR: "ko", FI: "fi", SE: "sv", NO: "no", IS: "is",
  NL: "nl", PL: "pl", DE: "de", FR: "fr", TR: "tr", US: "en", GB: "en", EE: "et", LV: "lv", LT: "lt", DK: "da",
};

export function nativeLang(native: string | null, translations: { lang: string; name: string }[] | undefined, countryCode: string) {
  if (!native) return undefined;
  return translations?.find((t) => t.name === native)?.lang ?? COUNTRY_LANG[countryCode];
}

export const countryName = (() => {
  let names: Intl.DisplayNames | undefined;
  return (code: string) => {
    try {
      names ??= new Intl.DisplayNames(["en"], { type: "region" });
      return names.of(code) ?? code;
    } catch {
      return code;
    }
  };
})();
