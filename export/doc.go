// Package export reads user exports: the CSV files that Cisco Unity
// Connection's and Unified CM's Bulk Administration Tool (BAT), Exchange
// and Active Directory write, and that administrators feed to the audit
// (package audit, `tollgate audit` and `tollgate gen`) and to the
// decision service (`tollgate serve --users`). It is the one vocabulary of
// those files in tollgate, so every reader maps the same header to the
// same columns and reads the same bytes as the same rows:
//
//   - the columns (Field) and the header names that give them, in any
//     case and with spaces or underscores ("Voicemail PIN", "USER_ID",
//     "Class Of Service"; Names lists them), the columns known to hold
//     nothing to check, and what a header that is no header looks like
//     (NewLayout);
//   - the CSV itself (Reader): RFC 4180 with the liberties exports take
//     (CRLF, LF or classic Mac OS CR line ends, quoted fields over several
//     lines), each row with its physical line number, and a broken row
//     reported as a bad Row while the next is read, never a file
//     abandoned at its first mistake;
//   - the bytes (Encoding): UTF-8 with or without a byte-order mark,
//     UTF-16 with one (as BAT writes), Windows-1252 (as Excel saves
//     "CSV") detected from the text, Latin-1 on request. Undecodable text
//     is never repaired: its row is bad, with the line and column.
//
// Nothing here prints a cell it does not know to be a column name: a file
// without a header has a PIN or a password where its header should be.
//
// The name is that of the files: "users export" is what BAT calls them.
package export
