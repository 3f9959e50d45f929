"""The size-reducing transforms on small realistic files, one language at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
from textwrap import dedent

import pytest

from sourcepacker.transforms import (
    TRANSFORMS_VERSION,
    Transform,
    apply_transforms,
    language_of,
    transform_key,
)

C, R = Transform.COMPRESS, Transform.REMOVE_COMMENTS
E, L = Transform.REMOVE_EMPTY_LINES, Transform.LINE_NUMBERS


def t(text: str) -> str:
    return dedent(text).lstrip("\n")


# --- keys and order -----------------------------------------------------------------------------


def test_key_is_sorted_deduplicated_and_order_free() -> None:
    assert transform_key([L, C]) == transform_key([C, L, C]) == "compress+line-numbers"
    assert transform_key([]) == ""
    assert transform_key(["remove-comments"]) == "remove-comments"  # type: ignore[list-item]
    assert TRANSFORMS_VERSION


def test_unknown_transform_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="squash"):
        transform_key(["squash"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="squash"):
        apply_transforms("a.py", "x", ["squash"])  # type: ignore[list-item]


def test_fixed_order_whatever_the_order_given() -> None:
    src = "def f():\n\n    return 1\n\n# c\nx = 1\n"
    out = "1 | def f():\n2 |     ...\n3 | x = 1\n"
    assert apply_transforms("a.py", src, [L, E, R, C]) == out
    assert apply_transforms("a.py", src, [C, R, E, L]) == out


def test_language_by_extension() -> None:
    assert language_of("src/a.TSX") == "tsx"
    assert language_of("x.h") == "c"
    assert language_of("ci.yml") == "yaml"
    assert language_of("README.md") is None


# --- line transforms ----------------------------------------------------------------------------


def test_remove_empty_lines() -> None:
    assert apply_transforms("a.txt", "a\n\n  \t\nb\r\n\r\nc\n\n", [E]) == "a\nb\r\nc\n"
    assert apply_transforms("a.txt", "a\n  ", [E]) == "a\n"
    assert apply_transforms("a.txt", "\n\n", [E]) == ""


def test_line_numbers_right_aligned_without_trailing_space() -> None:
    src = "".join(f"l{i}\n" for i in range(1, 10)) + "\nlast"
    out = apply_transforms("a.txt", src, [L]).split("\n")
    assert out[0] == " 1 | l1"
    assert out[9] == "10 |"
    assert out[10] == "11 | last"
    assert apply_transforms("a.txt", "a\r\n\r\n", [L]) == "1 | a\r\n2 |\r\n"
    assert apply_transforms("a.txt", "", [L]) == ""


# --- Python -------------------------------------------------------------------------------------

PY = t('''
    #!/usr/bin/env python3
    """Module doc."""
    import os  # why

    # A comment
    @dec
    def f(x: int) -> int:
        """Doc."""
        y = x  # t
        return y


    class A(B):
        """Cls."""

        z: int = 3

        def m(self): return 1

        async def n(self):
            def inner(): pass
            return 2
    ''')


def test_python_compress_keeps_docstrings_and_signatures() -> None:
    assert apply_transforms("m.py", PY, [C]) == t('''
        #!/usr/bin/env python3
        """Module doc."""
        import os  # why

        # A comment
        @dec
        def f(x: int) -> int:
            """Doc."""
            ...


        class A(B):
            """Cls."""

            z: int = 3

            def m(self): ...

            async def n(self):
                ...
        ''')


def test_python_remove_comments_keeps_shebang_and_docstrings() -> None:
    out = apply_transforms("m.py", PY, [R])
    assert out.startswith('#!/usr/bin/env python3\n"""Module doc."""\nimport os\n\n@dec\n')
    assert "    y = x\n" in out
    assert "#" not in out.replace("#!", "")


def test_python_compress_drops_comments_at_the_top_of_a_body() -> None:
    src = "def f():\n    # lead\n    return 1\n"
    assert apply_transforms("m.py", src, [C]) == "def f():\n    ...\n"


# --- JavaScript / TypeScript ---------------------------------------------------------------------

TS = t("""
    // header
    /** Doc */
    import x from "y";
    export function f(a: number): number { return a; /* c */ }
    const g = (a) => { return a }; const h = (b) => b * 2;
    class K { private x = 1; m(): void { console.log(1) } }
    interface I { a: string } // trailing
    let s = a /* mid */ + b;
    """)


def test_typescript_compress() -> None:
    assert apply_transforms("a.ts", TS, [C]) == t("""
        // header
        /** Doc */
        import x from "y";
        export function f(a: number): number { … }
        const g = (a) => { … }; const h = (b) => b * 2;
        class K { private x = 1; m(): void { … } }
        interface I { a: string } // trailing
        let s = a /* mid */ + b;
        """)


def test_typescript_remove_comments_keeps_doc_comments() -> None:
    assert apply_transforms("a.ts", TS, [R]) == t("""
        /** Doc */
        import x from "y";
        export function f(a: number): number { return a; }
        const g = (a) => { return a }; const h = (b) => b * 2;
        class K { private x = 1; m(): void { console.log(1) } }
        interface I { a: string }
        let s = a + b;
        """)


def test_javascript_methods_generators_and_callbacks() -> None:
    src = t("""
        #!/usr/bin/env node
        module.exports = { f() { return 1 }, g: function () { return 2 }, *h() { yield 1 } };
        describe("x", () => { it("y", () => {}) });
        """)
    assert apply_transforms("a.mjs", src, [C]) == t("""
        #!/usr/bin/env node
        module.exports = { f() { … }, g: function () { … }, *h() { … } };
        describe("x", () => { … });
        """)


def test_tsx_and_jsx_comments() -> None:
    src = "const A = () => {\n  return <div>{/* c */}{n}</div>;\n};\n"
    assert apply_transforms("a.tsx", src, [C]) == "const A = () => { … };\n"
    assert apply_transforms("a.tsx", src, [R]) == src.replace("/* c */", " ")
    assert apply_transforms("a.jsx", src, [R]) == src.replace("/* c */", " ")


def test_comment_between_tokens_keeps_them_apart() -> None:
    assert apply_transforms("a.js", "let a=b/**/+c;\n", [R]) == "let a=b +c;\n"


# --- Go, Rust, Java, C, C++ --------------------------------------------------------------------

GO = t("""
    // Package p does things.
    package p

    // #include <stdio.h>
    import "C"

    //go:generate stringer -type=X
    import "fmt" // fmt

    // F does.
    func F(a int) (int, error) {
        // inner
        return a, nil
    }

    type T struct{ A int /* a */ }

    func (t *T) M() { fmt.Println(1) }
    """)


def test_go_keeps_doc_comments_directives_and_the_cgo_preamble() -> None:
    assert apply_transforms("a.go", GO, [C, R]) == t("""
        // Package p does things.
        package p

        // #include <stdio.h>
        import "C"

        //go:generate stringer -type=X
        import "fmt"

        // F does.
        func F(a int) (int, error) { … }

        type T struct{ A int }

        func (t *T) M() { … }
        """)


def test_rust_keeps_doc_comments_and_attributes() -> None:
    src = t("""
        //! Crate doc.
        use std::fmt; // use

        /// Doc.
        #[derive(Debug)]
        pub struct S { a: i32 }

        impl S {
            /// New.
            pub fn new() -> Self { S { a: 1 } }
        }
        trait Tr { fn a(&self); fn b(&self) -> i32 { 2 } }
        // plain
        fn main() {
            println!("hi"); /* x */
        }
        """)
    assert apply_transforms("lib.rs", src, [C, R]) == t("""
        //! Crate doc.
        use std::fmt;

        /// Doc.
        #[derive(Debug)]
        pub struct S { a: i32 }

        impl S {
            /// New.
            pub fn new() -> Self { … }
        }
        trait Tr { fn a(&self); fn b(&self) -> i32 { … } }
        fn main() { … }
        """)


def test_java() -> None:
    src = t("""
        package p;
        /** Doc. */
        @Ann
        public class A<T> extends B implements C {
            private int x; // x
            public A() { super(); }
            /* block */
            public int m(int a) throws E { return a; }
            interface I { void f(); }
            enum E { X, Y; void g() { } }
            record R(int a) { R { check(a); } }
        }
        """)
    assert apply_transforms("A.java", src, [C, R]) == t("""
        package p;
        /** Doc. */
        @Ann
        public class A<T> extends B implements C {
            private int x;
            public A() { … }
            public int m(int a) throws E { … }
            interface I { void f(); }
            enum E { X, Y; void g() { … } }
            record R(int a) { R { … } }
        }
        """)


def test_c_keeps_spdx_and_macros() -> None:
    src = t("""
        /* SPDX-License-Identifier: MIT */
        /* Copyright 2024 Somebody */
        #include <stdio.h>
        #define X(a) ((a) + 1) /* macro */
        typedef struct { int a; } S;
        static int f(int a);
        int f(int a) {
            return a; // r
        }
        """)
    assert apply_transforms("a.c", src, [C, R]) == t("""
        /* SPDX-License-Identifier: MIT */
        #include <stdio.h>
        #define X(a) ((a) + 1)
        typedef struct { int a; } S;
        static int f(int a);
        int f(int a) { … }
        """)


def test_a_cpp_header_falls_back_from_c_to_cpp() -> None:
    src = t("""
        #pragma once
        namespace n {
        class K {
         public:
          int f() const { return 1; }
          virtual ~K() = default;
        };
        }  // namespace n
        template <typename T> T g(T t) { return t; }
        """)
    assert apply_transforms("k.h", src, [C]) == t("""
        #pragma once
        namespace n {
        class K {
         public:
          int f() const { … }
          virtual ~K() = default;
        };
        }  // namespace n
        template <typename T> T g(T t) { … }
        """)


# --- pass-through ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "src"),
    [
        ("broken.py", "def f(:\n    return 1  # c\n"),
        ("broken.ts", "function f( { return 1 } // c\n"),
        ("notes.md", "# Title\n\n<!-- c -->\n"),
        ("Makefile", "# c\nall:\n\techo\n"),
    ],
)
def test_unparsable_or_unknown_files_pass_through(rel: str, src: str) -> None:
    assert apply_transforms(rel, src, [C, R]) == src


def test_text_with_lone_surrogates_passes_through() -> None:
    src = "x = 1  # \udc80\n"
    assert apply_transforms("a.py", src, [C, R]) == src


# --- whole-line "#" comments ------------------------------------------------------------------


def test_shell_whole_line_comments_only() -> None:
    src = "#!/bin/sh\n# comment\necho hi # trailing stays\n  # indented\nls\n# last"
    assert apply_transforms("x.sh", src, [R]) == "#!/bin/sh\necho hi # trailing stays\nls\n"


@pytest.mark.parametrize(
    "src",
    [
        "cat <<EOF\n# kept\nEOF\n",
        "echo 'multi\n# kept\n'\n",
    ],
)
def test_shell_heredocs_and_open_quotes_pass_through(src: str) -> None:
    assert apply_transforms("x.sh", src, [R]) == src


def test_yaml_and_toml() -> None:
    assert apply_transforms("a.yml", "# c\na: 1  # t\n", [R]) == "a: 1  # t\n"
    block = "# c\nb: |\n  # not a comment\n"
    assert apply_transforms("a.yaml", block, [R]) == block
    assert apply_transforms("a.toml", "# c\n[a]\nb = 1 # t\n", [R]) == "[a]\nb = 1 # t\n"
    multi = '# c\ns = """\n# in a string\n"""\n'
    assert apply_transforms("a.toml", multi, [R]) == multi


# --- parsers ------------------------------------------------------------------------------------


def test_parsers_are_per_thread() -> None:
    results: list[str] = []

    def work() -> None:
        for _ in range(50):
            results.append(apply_transforms("m.py", PY, [C]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 200


def test_grammars_load_without_a_network() -> None:
    """The grammars are in the wheels: a fresh interpreter without network parses every one."""
    code = (
        "import socket\n"
        "def no(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = no; socket.create_connection = no; socket.getaddrinfo = no\n"
        "from sourcepacker import transforms as t\n"
        "for name in t._GRAMMARS: t._parser(name); t._query(name, True, True)\n"
        "print(len(t._GRAMMARS))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "9"


def test_c_and_cpp_edit_what_lies_outside_error_nodes() -> None:
    """Unexpanded macros leave ERROR nodes in most real C/C++ files: those parts stay as they
    are, well-formed functions and comments elsewhere are still transformed."""
    src = t("""
        __BEGIN_DECLS
        extern int f (int) __THROW; /* c1 */
        int g(int a) {
            return a; /* c2 */
        }
        TEST_CASE("x", "[y]")
        {
            REQUIRE(1 == 1);
        }
        """)
    out = t("""
        __BEGIN_DECLS
        extern int f (int) __THROW;
        int g(int a) { … }
        TEST_CASE("x", "[y]")
        {
            REQUIRE(1 == 1);
        }
        """)
    assert apply_transforms("a.h", src, [C, R]) == out
    assert apply_transforms("a.cc", src, [C, R]) == out


def test_python_function_with_only_a_docstring_stays() -> None:
    src = 'def f():\n    """Doc."""\n    # c\n'
    assert apply_transforms("m.py", src, [C]) == src


def test_javascript_module_wrappers_are_opened_not_dropped() -> None:
    src = t("""
        (function (root) {
          function a(x) { return x; }
          root.a = a;
        })(this);
        !function () { var b = function () { return 1; }; }();
        (() => { class K { m() { return 2; } } })();
        """)
    assert apply_transforms("umd.js", src, [C]) == t("""
        (function (root) {
          function a(x) { … }
          root.a = a;
        })(this);
        !function () { var b = function () { … }; }();
        (() => { class K { m() { … } } })();
        """)


def test_go_trailing_and_detached_comments_go() -> None:
    src = "package p\n\n// detached\n\nvar x = 1 // t\nfunc F() {}\n"
    assert apply_transforms("a.go", src, [R]) == "package p\n\n\nvar x = 1\nfunc F() {}\n"
