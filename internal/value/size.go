package value

// estimate approximates the encoded size of a container value.
func estimate(v any) int64 {
	switch x := v.(type) {
	case []string:
		n := int64(2)
		for _, s := range x {
			n += int64(len(s)) + 3
		}
		return n
	case map[string]string:
		n := int64(2)
		for k, s := range x {
			n += int64(len(k)+len(s)) + 6
		}
		return n
	case []any:
		return 2 + int64(len(x))*16
	case map[string]any:
		return 2 + int64(len(x))*24
	}
	return 16
}
