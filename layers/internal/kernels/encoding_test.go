//go:build amd64 && !purego

package kernels

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestInstructionBytesMatchGNU disassembles every instruction gen.go
// encodes as bytes (AMX and VDPBF16PS, which the Go assembler has no
// mnemonics for) with GNU objdump, the reference, and compares it with the
// instruction the comment on its line in kernels_amd64.s names.
func TestInstructionBytesMatchGNU(t *testing.T) {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Skip("GNU objdump (binutils) not installed: the hand-encoded instruction bytes are not cross-checked")
	}
	f, err := os.Open("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byteRe := regexp.MustCompile(`BYTE \$0x([0-9a-f]{2})`)
	seen := map[string]bool{}
	type inst struct{ hex, want string }
	var insts []inst
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		code, comment, ok := strings.Cut(line, "// ")
		if !ok || !strings.Contains(code, "BYTE") {
			continue
		}
		var hex strings.Builder
		for _, m := range byteRe.FindAllStringSubmatch(code, -1) {
			hex.WriteString(m[1])
		}
		want, err := intelSyntax(comment)
		if err != nil {
			t.Fatalf("kernels_amd64.s: %q: %v", line, err)
		}
		if !seen[hex.String()] {
			seen[hex.String()] = true
			insts = append(insts, inst{hex.String(), want})
		}
	}
	if len(insts) == 0 {
		t.Fatal("no hand-encoded instructions found in kernels_amd64.s")
	}
	dir := t.TempDir()
	for i, in := range insts {
		bin := filepath.Join(dir, strconv.Itoa(i))
		b := make([]byte, len(in.hex)/2)
		for j := range b {
			v, _ := strconv.ParseUint(in.hex[2*j:2*j+2], 16, 8)
			b[j] = byte(v)
		}
		if err := os.WriteFile(bin, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("objdump: %v\n%s", err, out)
		}
		got := ""
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.SplitN(l, "\t", 3); len(f) == 3 && strings.TrimSpace(f[0]) == "0:" {
				got = strings.Join(strings.Fields(f[2]), " ")
			}
		}
		if got != in.want {
			t.Errorf("bytes %s: objdump says %q, the comment %q", in.hex, got, in.want)
		}
	}
}

var goRegs = map[string]string{"AX": "rax", "BX": "rbx", "CX": "rcx", "DX": "rdx", "SI": "rsi", "DI": "rdi", "BP": "rbp", "SP": "rsp"}

func intelReg(r string) string {
	if g, ok := goRegs[r]; ok {
		return g
	}
	return strings.ToLower(r)
}

// intelSyntax turns a comment in Go assembler syntax into objdump's Intel
// syntax: operands reversed for VDPBF16PS (Go order), AMX comments written
// in Intel order already; memory as [base+index*1+disp].
func intelSyntax(c string) (string, error) {
	mem := regexp.MustCompile(`^(\d+)?\((\w+)\)(?:\((\w+)\*1\))?$`)
	op, args, _ := strings.Cut(strings.TrimSpace(c), " ")
	var ops []string
	if args != "" {
		for _, a := range strings.Split(args, ",") {
			a = strings.TrimSpace(a)
			if m := mem.FindStringSubmatch(a); m != nil {
				s := "[" + intelReg(m[2])
				if m[3] != "" {
					s += "+" + intelReg(m[3]) + "*1"
				}
				if d, _ := strconv.Atoi(m[1]); d != 0 {
					s += fmt.Sprintf("+0x%x", d)
				}
				a = s + "]"
			} else if strings.HasPrefix(a, "Z") {
				a = "zmm" + a[1:]
			} else {
				a = strings.ToLower(a)
			}
			ops = append(ops, a)
		}
	}
	switch op {
	case "VDPBF16PS":
		for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
			ops[i], ops[j] = ops[j], ops[i]
		}
	case "LDTILECFG", "TILERELEASE", "TILEZERO", "TILELOADD", "TILESTORED", "TDPBF16PS":
	default:
		return "", fmt.Errorf("unknown instruction %s", op)
	}
	s := strings.ToLower(op)
	if len(ops) > 0 {
		s += " " + strings.Join(ops, ",")
	}
	return s, nil
}
