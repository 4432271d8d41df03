package value

import "reflect"

// checkReflect checks a value of a type checkValue does not list, by kind.
func checkReflect(path string, rv reflect.Value, lv level) error {
	switch rv.Kind() {
	case reflect.String:
		return checkText(path, rv.String())
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Float32, reflect.Float64:
		return checkFloat(path, rv.Float())
	case reflect.Slice, reflect.Array:
		return checkReflectList(path, rv, lv)
	case reflect.Map:
		return checkReflectMap(path, rv, lv)
	case reflect.Interface, reflect.Pointer:
		if rv.IsNil() {
			return &Error{Path: path, Reason: "value is nil; the value model has no null"}
		}
	}
	return &Error{Path: path, Reason: "unsupported type " + rv.Type().String()}
}

func checkReflectList(path string, rv reflect.Value, lv level) error {
	if err := listAllowed(path, lv); err != nil {
		return err
	}
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return nilContainer(path, "list")
	}
	if rv.Type().Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.Slice {
		return &Error{Path: path, Reason: "[]byte is not a value; convert it to a string"}
	}
	for i := 0; i < rv.Len(); i++ {
		if err := checkValue(indexPath(path, i), rv.Index(i).Interface(), levelInList); err != nil {
			return err
		}
	}
	return nil
}

func checkReflectMap(path string, rv reflect.Value, lv level) error {
	if rv.Type().Key().Kind() != reflect.String {
		return &Error{Path: path, Reason: "map keys must be strings, not " + rv.Type().Key().String()}
	}
	if err := mapAllowed(path, lv); err != nil {
		return err
	}
	if rv.IsNil() {
		return nilContainer(path, "map")
	}
	inner := innerLevel(lv)
	iter := rv.MapRange()
	for iter.Next() {
		k := iter.Key().String()
		if err := checkKey(path, k); err != nil {
			return err
		}
		if err := checkValue(path+"."+k, iter.Value().Interface(), inner); err != nil {
			return err
		}
	}
	return nil
}
