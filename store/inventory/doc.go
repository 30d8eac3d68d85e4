// Package inventory holds the access model of accessd: one Access per
// delivery point (a switch port ending in one home), its normalisation and
// validation against the rules of Com Hem PI V1, CSV Access Upload API 1.1,
// PI-API 2.3 and ON-API 2.6, the streaming readers and writers of the
// inventory files (CSV and JSON) and the sellability/deliverability table of
// PI V1.
//
// The package is pure: no I/O but io.Reader and io.Writer, no clock but the
// time passed in.
//
// # Reading a file
//
// [ReadCSV] and [ReadJSON] (or [Read] with a [Format]) stream the input,
// normalise ([Normalize]) and validate ([Validate]) every access and call
// yield for each good one. When anything is wrong they return a *[Problems]
// listing every bad row (line, accessId, field as spelled in the file, what
// is wrong); the caller must then apply nothing, because an import is
// all-or-nothing. yield is still called for the good rows that follow a bad
// one, so that a caller can check every row against its store in the same
// pass; a [Problem] returned by yield is collected like the reader's own.
//
// # Decisions where the specifications leave room
//
//   - AccessId follows PI V1 in every format: [a-zA-Z0-9]+, at most 32
//     characters (PI-API 2.3 and ON-API would also allow '-' and '.', but an
//     access must be exportable as PI V1). legacyAccessId follows ON-API's ID
//     format: [-.a-zA-Z0-9]{1,36}.
//   - PostalCode is five digits from 10000 to 99999: PI V1 allows 00000,
//     but PI-API 2.3 ("Min 10000"), CSV 1.1 and ON-API (^[1-9][0-9]{4}$)
//     do not, and every access is exported through all of them; "123 45"
//     is normalised to "12345".
//   - StreetNumber, when present, is a decimal 16-bit unsigned integer
//     (0–65535) as PI V1 says; ON-API's "550-7" meter addresses are rejected.
//   - CountryCode is a code officially assigned in ISO 3166-1 alpha-2;
//     Normalize upper-cases it.
//   - PremisesType: PI V1's five values plus ON-API's MDU_TECHNICAL and
//     UNKNOWN are accepted in every format (CSV 1.1 itself maps BYGGTYP 99 to
//     UNKNOWN). [PremisesType.PIV1] says how the PI V1 view shows the two.
//     In CSV, a Lantmäteriet BYGGTYP code is mapped as the CSV 1.1 table says.
//   - MDU_APARTMENT needs mduApartmentNumber or mduDistinguisher in JSON
//     (PI V1, PI-API 2.3, ON-API); in CSV 1.1 an outletId suffices as
//     well. MDU_COMMON (PI-API 2.3 feasibility.md's premisesType: "at
//     MDU_APARTMENT and MDU_COMMON … must be populated") and MDU_TECHNICAL
//     (shown as MDU_COMMON in PI V1 and PI-API) need one of the three in
//     every format. Validate
//     therefore takes the [Format] whose rule applies; a store that
//     re-validates must use the format the access came in, or CSV, the
//     looser one. [Access.PIV1MDUDistinguisher] fills the field from the
//     outlet for such an access. mduApartmentNumber, when present, is
//     exactly 4 digits for every premises type.
//   - Activatable and Sellable: "YES", "NO" (Normalize upper-cases yes/no) or
//     a real calendar date YYYY-MM-DD from 1970-01-01 to 9999-12-31.
//   - Text fields must be valid UTF-8 without control characters (they end up
//     in XML and JSON) and at most 255 characters (ON-API's text format).
//   - iptv and rfof are true only for the exact text "YES" (after trimming);
//     anything else, the empty string included, is false, as CSV 1.1 says.
//   - portSpeed and cpeCapacity (Mbit/s) and priceGroup are whole numbers
//     ≥ 0; 0 means "not
//     given". accessState, when present, is one of ON-API's values.
//     nationalAddressUUID, when present, is a UUID in 8-4-4-4-12 hex form.
//   - The JSON form may carry a "plant" object (see [Plant]): the power
//     installation at the access, in Cubit's plant import shape, for a KO
//     that belongs to a power utility. It is checked with [ValidatePlant]
//     and its problems name the key inside it ("plant.address.postalCode").
//     CSV carries no plant: the plant is a nested object of some forty
//     fields and three levels of grid hierarchy, which flat CSV 1.1
//     columns would carry only as dozens of dotted extra columns that no
//     CSV 1.1 producer writes; an import from CSV (or any pull) keeps the
//     plants the store has instead (store.ImportOptions.Plants).
//   - Within one file accessId, option82 and a non-empty dhcpIdentifier
//     (circuit-id, remote-id pair) must each be unique; the problem names both
//     lines. Uniqueness against the store is the caller's business.
//
// # Sellability and deliverability
//
// [Calendar.State] implements PI V1's "Säljbarhet och Levererbarhet" table
// once. Dates are compared as the local date in Europe/Stockholm (see
// [Stockholm]): an access with Sellable 2024-05-01 is sales-started from
// 2024-05-01 00:00 Swedish time, which is 2024-04-30 22:00 UTC. The table's
// gaps are filled so: a missing or invalid Sellable or Activatable gives
// [StateFaulty] (never sellable); Sellable NO gives [StateNotSalesStarted]
// and a future Sellable date [StateFutureSalesStart] whatever Activatable
// says, since nothing can be sold before the sales start.
package inventory
