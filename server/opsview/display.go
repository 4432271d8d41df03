package opsview

import (
	"strings"
	"unicode"
	"unicode/utf16"
)

// hiddenRune reports whether r changes how text around it is shown, or
// is not shown at all: control characters but the line feed and the tab
// (the page's own layout), format characters (the bidi
// controls U+202A–U+202E and U+2066–U+2069, U+200E, U+200F, U+061C,
// zero-width characters) and the line and paragraph separators. With
// U+202E, "evil\u202Egnp.exe" shows as "evilexe.png".
func hiddenRune(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// displayText is s with every hiddenRune written as a JSON escape
// (\u202e; a surrogate pair above U+FFFF). In JSON text the escape stands
// for the same character, so a JSON document stays the same document;
// on the page it shows the character instead of obeying it.
func displayText(s string) string {
	if strings.IndexFunc(s, hiddenRune) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if !hiddenRune(r) {
			b.WriteRune(r)
			continue
		}
		if r > 0xFFFF {
			hi, lo := utf16.EncodeRune(r)
			writeEscape(&b, hi)
			writeEscape(&b, lo)
			continue
		}
		writeEscape(&b, r)
	}
	return b.String()
}

func writeEscape(b *strings.Builder, r rune) {
	const hex = "0123456789abcdef"
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hex[(r>>shift)&0xF])
	}
}
