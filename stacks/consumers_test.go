package stacks

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Each reference consumer's Lambda reads its table from the variable the
// stacks name it by (ReferenceConsumers' Table.Env, which AddTable sets):
// a Lambda reading another name would exit at its first start.
func TestReferenceConsumersReadTheTableTheStacksName(t *testing.T) {
	for name, ref := range ReferenceConsumers {
		main, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(ref.Dir), "main.go"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := "consumer.TableName(" + strconv.Quote(ref.Table.Env) + ")"; !strings.Contains(string(main), want) {
			t.Errorf("%s/main.go does not call %s", ref.Dir, want)
		}
	}
}
