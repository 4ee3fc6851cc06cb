package core

// English messages for the PIN and password codes. too_short, too_long,
// contains_extension, reused and common are shared by both checks (and
// too_short/too_long by dialed numbers), so their words fit all of them.
func init() {
	addMessages([]message{
		{CodeTooShort, "Too short: use at least {limit} characters."},
		{CodeTooLong, "Too long: use at most {limit} characters."},
		{CodeNotDigits, "Use only the digits 0 to 9."},
		{CodeRepeatedDigit, "Do not use the same digit more than {limit} times in a row."},
		{CodeFewDistinct, "Use at least {limit} different digits."},
		{CodeRepeatedGroup, "Do not repeat a group of digits (like 408408 or 1212)."},
		{CodeSequential, "Do not use digits in ascending or descending order (like 123456 or 9876)."},
		{CodeKeypadLine, "Do not use digits that lie in a straight line on the keypad (like 2580 or 159)."},
		{CodeContainsExtension, "Do not include your {detail} extension."},
		{CodeContainsReversedExtension, "Do not include your {detail} extension backwards."},
		{CodeExtensionSuffix, "Do not use the last digits of your {detail} extension."},
		{CodeAllSame, "Do not use the same digit throughout."},
		{CodeNameDigits, "Do not spell your first or last name on the keypad."},
		{CodeDate, "Do not use a date or your birthday; dates are among the first guesses."},
		{CodeCommon, "This is one of the most commonly chosen; attackers try these first."},
		{CodeReused, "Choose one you have not used before (your last {limit} are remembered)."},

		{CodeFewClasses, "Use at least {limit} of these: uppercase letters, lowercase letters, digits, symbols."},
		{CodeMissingClass, "Add at least one {detail} character (the classes are upper, lower, digit and symbol)."},
		{CodeRepeatedChar, "Do not use the same character more than {limit} times in a row."},
		{CodeContainsAlias, "Do not include your alias (user name)."},
		{CodeContainsReversedAlias, "Do not include your alias (user name) backwards."},
		{CodeConsecutiveChars, "Do not use a run of consecutive characters (like abcdef or 654321)."},
		{CodeTooSimilar, "Change at least {limit} characters from your current password."},
	})
}
