/**
 * The carrier of a mainland mobile number by its segment (号段), for operators that turned strict
 * carrier checks on (PROTOCOL §5). Because of number portability (携号转网) a segment is only a
 * hint, so anything not clearly assigned to one carrier is unknown and never causes a rejection.
 */
export type Carrier = 1 | 2 | 3; // 1 中国移动, 2 中国联通, 3 中国电信

const MOBILE = 1;
const UNICOM = 2;
const TELECOM = 3;

/** Three-digit segments wholly assigned to one carrier (including data-card and MVNO segments). */
const SEGMENTS: ReadonlyMap<string, Carrier> = new Map<string, Carrier>([
  // 中国移动
  ...(["135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157", "158", "159",
    "165", "178", "182", "183", "184", "187", "188", "195", "197", "198"] as const).map(
    (s) => [s, MOBILE] as const,
  ),
  // 中国联通
  ...(["130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175", "176", "185",
    "186", "196"] as const).map((s) => [s, UNICOM] as const),
  // 中国电信
  ...(["133", "149", "153", "162", "173", "177", "180", "181", "189", "190", "191", "193", "199"] as const).map(
    (s) => [s, TELECOM] as const,
  ),
]);

/**
 * Segments shared between carriers, resolved by the fourth digit. 134 is 中国移动 except 1349
 * (satellite); 170 is split between the three carriers' virtual operators.
 */
const FOUR_DIGIT: ReadonlyMap<string, Carrier> = new Map<string, Carrier>([
  ...(["1340", "1341", "1342", "1343", "1344", "1345", "1346", "1347", "1348"] as const).map(
    (s) => [s, MOBILE] as const,
  ),
  ["1700", TELECOM],
  ["1701", TELECOM],
  ["1702", TELECOM],
  ["1703", MOBILE],
  ["1705", MOBILE],
  ["1706", MOBILE],
  ["1704", UNICOM],
  ["1707", UNICOM],
  ["1708", UNICOM],
  ["1709", UNICOM],
]);

const PHONE = /^1[3-9][0-9]{9}$/;

/** 1 中国移动, 2 中国联通, 3 中国电信; null when unknown or ambiguous (e.g. 192 中国广电, 174 satellite). */
export function carrierOfNumber(phone: string): Carrier | null {
  if (!PHONE.test(phone)) return null;
  return FOUR_DIGIT.get(phone.slice(0, 4)) ?? SEGMENTS.get(phone.slice(0, 3)) ?? null;
}

/** True only when the segment is known and names a different carrier than mobile_type. */
export function carrierContradicts(phone: string, mobileType: number): boolean {
  const carrier = carrierOfNumber(phone);
  return carrier !== null && carrier !== mobileType;
}
