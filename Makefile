# profrun: `make` builds build/profrun (and its manual page); `make run`
# profiles this machine for 10 s; `make test` runs every suite; `make deb`
# builds the Debian package, `make test-deb` installs and tries it.
# Everything generated goes under $(OUTPUT); the source tree stays clean.
# V=1 prints full commands; NO_DEPS=1 never runs apt (package builds).

VERSION      := 0.1.0
SANITIZE     ?=
OUTPUT       ?= build$(if $(SANITIZE),-san)
O            := $(abspath $(OUTPUT))
PREFIX       ?= /usr/local
DESTDIR      ?=
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
CC           ?= cc
CLANG        ?= clang
LLVM_STRIP   ?= llvm-strip
BPFTOOL      ?= bpftool
LUAJIT       ?= luajit
PKG_CONFIG   ?= pkg-config
VMLINUX_BTF  ?= /sys/kernel/btf/vmlinux
VMLINUX_H    ?=
CFLAGS       ?= -O2 -g
LDFLAGS      ?=
EXTRA_CFLAGS ?=
LIBS         := libbpf libelf libdw zlib luajit liblzma

ifeq ($(V),1)
Q   :=
msg :=
else
Q   := @
msg = @printf '  %-5s %s\n' "$(1)" "$(patsubst $(O)/%,%,$(2))";
endif

# Evaluated only when a recipe runs, after the dependency check installed
# pkg-config and the libraries.
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS))
PC_LIBS   = $(shell $(PKG_CONFIG) --libs $(LIBS))
comma     := ,
SAN_FLAGS := $(if $(SANITIZE),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP \
	-I$(O) -Ibpf -Iruntime $(PC_CFLAGS) $(SAN_FLAGS) \
	-DPROFRUN_VERSION='"$(VERSION)"' -DPROFRUN_LUADIR='"$(PREFIX)/share/profrun/lua"' \
	$(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -Wl,--dynamic-list=$(O)/profrun.dynlist
LDLIBS = $(PC_LIBS) -liberty -ldl -lm

# clang -target bpf does not search the host's system include dirs; add
# them after our own so <bpf/bpf_helpers.h> and asm/ headers are found.
CLANG_SYS_INCLUDES = $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS = -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -I$(O) -Ibpf $(CLANG_SYS_INCLUDES)

BPF_SRCS     := $(wildcard bpf/*.bpf.c)
BPF_NAMES    := $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS))
SKELS        := $(patsubst %,$(O)/%.skel.h,$(BPF_NAMES))
RT_SRCS      := $(wildcard runtime/*.c)
RT_OBJS      := $(patsubst runtime/%.c,$(O)/rt/%.o,$(RT_SRCS))
LIB_OBJS     := $(filter-out $(O)/rt/main.o,$(RT_OBJS))
LUA_SRCS     := $(wildcard lua/profrun/*.lua)
LUA_OBJS     := $(patsubst lua/profrun/%.lua,$(O)/lua/%.o,$(LUA_SRCS)) $(O)/lua/cdef.o
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
UNIT_OBJS    := $(patsubst tests/unit/%.c,$(O)/unit/%.o,$(UNIT_SRCS) tests/unit/harness.c)
FIXTURE_SRCS := $(filter-out tests/fixtures/xdpload.c,$(wildcard tests/fixtures/*.c))
FIXTURES     := $(patsubst tests/fixtures/%.c,$(O)/fixtures/%,$(FIXTURE_SRCS))
DEPS_STAMP   := $(O)/.deps-ok

.DELETE_ON_ERROR:
.SECONDARY:
# a test runner's status must survive `| tee`
SHELL       := bash
.SHELLFLAGS := -o pipefail -c

all: $(O)/profrun $(O)/profrun.1

# The dependency check runs once per build dir; `make deps` runs it again.
# A package build (NO_DEPS=1) has its Build-Depends and no business
# installing anything.
$(DEPS_STAMP): scripts/install-deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)$(if $(filter 1,$(NO_DEPS)),true,scripts/install-deps.sh)
	$(Q)touch $@

# The manual page, from one POD source; dated by the last commit (or
# SOURCE_DATE_EPOCH in a package build), so rebuilds give the same page.
MAN_DATE = $(shell if [ -n "$$SOURCE_DATE_EPOCH" ]; then date -u -d "@$$SOURCE_DATE_EPOCH" +%Y-%m-%d; \
	else git log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d; fi)
$(O)/profrun.1: scripts/man/profrun.pod | $(DEPS_STAMP)
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)podchecker -warnings -warnings $< 2>&1 | grep -v 'pod syntax OK' >&2; \
	  pod2man --utf8 --section=1 --name=PROFRUN --center="profrun manual" \
	  --release="profrun $(VERSION)" --date="$(MAN_DATE)" $< >$@.tmp && mv $@.tmp $@

deps:
	scripts/install-deps.sh

ifeq ($(VMLINUX_H),)
$(O)/vmlinux.h: | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)test -r $(VMLINUX_BTF) || { echo "profrun build: no kernel BTF at $(VMLINUX_BTF); set VMLINUX_BTF= or VMLINUX_H=" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@
else
$(O)/vmlinux.h: $(VMLINUX_H) | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D) && cp $< $@
endif

# The DWARF -g adds is for no one at run time (the verifier and CO-RE
# read .BTF/.BTF.ext, which stay): stripped, the four objects the binary
# embeds are 320 KB instead of 2.2 MB, which every start would page in.
$(O)/%.bpf.o: bpf/%.bpf.c bpf/events.h bpf/common.bpf.h bpf/ustack.bpf.h bpf/kunwind.bpf.h bpf/aggregate.bpf.h \
		bpf/python.bpf.h $(O)/vmlinux.h | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(O)/%.skel.h: $(O)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pr_$*_bpf > $@

# Lua sees events.h, ffi_types.h and ffi.h with preprocessor lines removed: one source
# of truth for every record and every function that crosses the boundary.
$(O)/cdef.lua: bpf/events.h runtime/ffi_types.h runtime/ffi.h | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q){ echo 'return [=['; \
	  echo 'typedef uint8_t __u8; typedef uint16_t __u16; typedef uint32_t __u32; typedef uint64_t __u64;'; \
	  echo 'typedef int8_t __s8; typedef int16_t __s16; typedef int32_t __s32; typedef int64_t __s64;'; \
	  cat bpf/events.h runtime/ffi_types.h runtime/ffi.h | sed -e '/^[[:space:]]*#/d'; \
	  echo ']=]'; } > $@

# The Lua library is linked into the binary as bytecode; require finds it
# through the luaJIT_BC_* symbols.
$(O)/lua/init.o: lua/profrun/init.lua | $(DEPS_STAMP)
	$(call msg,LUA,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(LUAJIT) -bg -n profrun $< $@

$(O)/lua/cdef.o: $(O)/cdef.lua
	$(call msg,LUA,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(LUAJIT) -bg -n profrun.cdef $< $@

$(O)/lua/%.o: lua/profrun/%.lua | $(DEPS_STAMP)
	$(call msg,LUA,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(LUAJIT) -bg -n profrun.$* $< $@

$(O)/profrun.dynlist:
	$(Q)mkdir -p $(@D)
	$(Q)printf '{\n\tpr_ffi_*;\n\tluaJIT_BC_*;\n};\n' > $@

$(O)/rt/%.o: runtime/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/profrun: $(RT_OBJS) $(LUA_OBJS) $(O)/profrun.dynlist
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(RT_OBJS) $(LUA_OBJS) $(LDLIBS)

# ---- tests ------------------------------------------------------------------

$(O)/unit/%.o: tests/unit/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c $< -o $@

$(O)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS) $(LUA_OBJS) $(O)/profrun.dynlist
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB_OBJS) $(LUA_OBJS) $(LDLIBS)

# Fixtures keep frame pointers (clang: GCC 12 drops them in leaf functions)
# and are not inlined, so the function names are what the tests look for.
$(O)/fixtures/%: tests/fixtures/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline \
		-Wall -Wextra -Werror -o $@ $<

# Symbolization fixtures: one source in every kind of binary a profiler
# meets. Debuginfo goes to $(O)/fixtures/debug (PROFRUN_DEBUG_DIR in tests).
FX        := $(O)/fixtures
FXFLAGS   := -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline
SYMFIXES  := $(FX)/symfix-pie $(FX)/symfix-nopie $(FX)/symfix-stripped $(FX)/symfix-buildid \
	     $(FX)/symfix-debuglink $(FX)/symfix-minidebug $(FX)/symfix-uselib $(FX)/libsymfix.so \
	     $(FX)/cppfix

$(FX)/symfix-pie: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(FXFLAGS) -fPIE -pie -o $@ $<

$(FX)/symfix-nopie: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(FXFLAGS) -fno-pie -no-pie -o $@ $<

# stripped with no build-id: no debuginfo can be found for it
$(FX)/symfix-stripped: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(FXFLAGS) -fPIE -pie -Wl,--build-id=none -o $@.full $<
	$(Q)objcopy --strip-all $@.full $@ && rm -f $@.full

# stripped, its debuginfo found through the build-id
$(FX)/symfix-buildid: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(FXFLAGS) -fPIE -pie -Wl,--build-id=sha1 -o $@.full $<
	$(Q)id=$$(readelf -n $@.full | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p'); \
	  mkdir -p $(FX)/debug/.build-id/$${id:0:2} && \
	  objcopy --only-keep-debug $@.full $(FX)/debug/.build-id/$${id:0:2}/$${id:2}.debug && \
	  objcopy --strip-all $@.full $@ && rm -f $@.full

# stripped, its debuginfo named by .gnu_debuglink in .debug/ beside it
$(FX)/symfix-debuglink: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(FX)/.debug && $(CLANG) $(FXFLAGS) -fPIE -pie -Wl,--build-id=none -o $@.full $<
	$(Q)objcopy --only-keep-debug $@.full $(FX)/.debug/symfix-debuglink.debug && \
	  objcopy --strip-all --add-gnu-debuglink=$(FX)/.debug/symfix-debuglink.debug $@.full $@ && \
	  rm -f $@.full

# MiniDebugInfo as Fedora builds it: the function symbols .dynsym lacks,
# in an xz-compressed ELF inside .gnu_debugdata of a stripped binary
$(FX)/symfix-minidebug: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(FXFLAGS) -fPIE -pie -Wl,--build-id=none -o $@.full $<
	$(Q)nm -D $@.full --format=posix --defined-only | awk '{ print $$1 }' | sort > $@.dynsyms
	$(Q)nm $@.full --format=posix --defined-only | awk '$$2 ~ /[TtWw]/ { print $$1 }' | sort > $@.funcs
	$(Q)comm -13 $@.dynsyms $@.funcs > $@.keep
	$(Q)objcopy --only-keep-debug $@.full $@.mini && \
	  objcopy -S --remove-section .gdb_index --remove-section .comment --keep-symbols=$@.keep $@.mini && \
	  rm -f $@.mini.xz && xz -k $@.mini && \
	  objcopy --strip-all --add-section .gnu_debugdata=$@.mini.xz $@.full $@ && \
	  rm -f $@.full $@.dynsyms $@.funcs $@.keep $@.mini $@.mini.xz

$(FX)/libsymfix.so: tests/fixtures/symfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(FXFLAGS) -DSYMFIX_SHARED -fPIC -shared -o $@ $<

$(FX)/symfix-uselib: tests/fixtures/symfix.c $(FX)/libsymfix.so
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FXFLAGS) -DSYMFIX_USE_LIB -o $@ $< -L$(FX) -lsymfix -Wl,-rpath,'$$ORIGIN'

$(FX)/cppfix: tests/fixtures/cppfix.cpp | $(DEPS_STAMP)
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D) && clang++ $(FXFLAGS) -o $@ $<

# kernel-symbol fixtures: a slow XDP program under two names, and a loader
$(FX)/xdp_slow_%.bpf.o: tests/fixtures/bpf/xdp_slow.bpf.c $(O)/vmlinux.h | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -DPROG=xdp_slow_$* -c $< -o $@

$(FX)/xdpload: tests/fixtures/xdpload.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) -O1 -g -Wall -Wextra -Werror -o $@ $< $(shell $(PKG_CONFIG) --cflags --libs libbpf)

KSYMFIXES := $(FX)/xdp_slow_a.bpf.o $(FX)/xdp_slow_b.bpf.o $(FX)/xdpload

# ---- unwinding fixtures (issue 7) --------------------------------------------
# Code the way distributions build it: GCC -O2 with no frame pointers, so
# only .eh_frame/.debug_frame lead through it. The sources say which stack
# each one shows. A recipe checks that the binary has the unwind sections
# (and only those) its tests rely on.
UWDIR       := tests/fixtures/unwind
UWCC        ?= gcc
UWFLAGS     := -O2 -g -fomit-frame-pointer -Wall -Wextra -Werror
UWFPFLAGS   := -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -Wall -Wextra -Werror
UWNOTABLES  := -fno-asynchronous-unwind-tables -fno-unwind-tables
UWPLAIN     := $(FX)/uw-chain $(FX)/uw-qsort $(FX)/uw-signal $(FX)/uw-prologue $(FX)/uw-thread \
	       $(FX)/uw-switch $(FX)/uw-vdso \
	       $(FX)/uw-deep
UNWINDFIXES := $(UWPLAIN) $(FX)/libuwmixed.so $(FX)/uw-mixed $(FX)/uw-mixed-nocfi \
	       $(FX)/uw-dlopen $(FX)/uw-dlopen-nocfi $(FX)/uw-debugframe $(FX)/uw-debugframe-buildid

$(UNWINDFIXES): $(UWDIR)/uw.h

# uw_has_sections FILE WANT NOTWANT: fail the build unless FILE has every
# section in WANT and none in NOTWANT (one subshell, so it chains with &&)
uw_has_sections = (secs=$$(readelf -SW $(1) 2>/dev/null | awk '{ print $$2 }'); \
	for s in $(2); do grep -qx -- "$$s" <<<"$$secs" || { echo "$(1): no $$s" >&2; exit 1; }; done; \
	for s in $(3); do ! grep -qx -- "$$s" <<<"$$secs" || { echo "$(1): has $$s" >&2; exit 1; }; done)

$(UWPLAIN): $(FX)/%: $(UWDIR)/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(UWCC) $(UWFLAGS) -o $@ $<

$(FX)/libuwmixed.so: $(UWDIR)/libuwmixed.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(UWCC) $(UWFLAGS) -fPIC -shared -o $@ $<

# frame pointers and .eh_frame
$(FX)/uw-mixed: $(UWDIR)/uw-mixed.c $(FX)/libuwmixed.so
	$(call msg,CC,$@)
	$(Q)$(UWCC) $(UWFPFLAGS) -o $@ $< -L$(FX) -luwmixed -Wl,-rpath,'$$ORIGIN'

# frame pointers and no unwind table at all, like JIT code: no -g (it would
# bring .debug_frame), and the crt files' .eh_frame removed
$(FX)/uw-mixed-nocfi: $(UWDIR)/uw-mixed.c $(FX)/libuwmixed.so
	$(call msg,CC,$@)
	$(Q)$(UWCC) $(filter-out -g,$(UWFPFLAGS)) $(UWNOTABLES) -o $@.full $< -L$(FX) -luwmixed \
		-Wl,-rpath,'$$ORIGIN'
	$(Q)objcopy -R .eh_frame -R .eh_frame_hdr $@.full $@ && rm -f $@.full
	$(Q)$(call uw_has_sections,$@,.symtab,.eh_frame .eh_frame_hdr .debug_frame)

# loads libuwmixed.so with dlopen() after it started
$(FX)/uw-dlopen: $(UWDIR)/uw-dlopen.c $(FX)/libuwmixed.so
	$(call msg,CC,$@)
	$(Q)$(UWCC) $(UWFLAGS) -o $@ $<

# the same with frame pointers and no unwind table, like JIT code calling
# into a library loaded late (LuaJIT's ffi.load)
$(FX)/uw-dlopen-nocfi: $(UWDIR)/uw-dlopen.c $(FX)/libuwmixed.so
	$(call msg,CC,$@)
	$(Q)$(UWCC) $(filter-out -g,$(UWFPFLAGS)) $(UWNOTABLES) -o $@.full $<
	$(Q)objcopy -R .eh_frame -R .eh_frame_hdr $@.full $@ && rm -f $@.full
	$(Q)$(call uw_has_sections,$@,.symtab,.eh_frame .eh_frame_hdr .debug_frame)

# uw-chain with .debug_frame only (the crt files' .eh_frame removed, so a
# table can come from nowhere else)
$(FX)/uw-debugframe: $(UWDIR)/uw-chain.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(UWCC) $(UWFLAGS) $(UWNOTABLES) -o $@.full $<
	$(Q)objcopy -R .eh_frame -R .eh_frame_hdr $@.full $@ && rm -f $@.full
	$(Q)$(call uw_has_sections,$@,.debug_frame .symtab,.eh_frame .eh_frame_hdr)

# the same, stripped: .debug_frame (and the symbols) only in the build-id
# debuginfo under $(FX)/debug
$(FX)/uw-debugframe-buildid: $(UWDIR)/uw-chain.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(UWCC) $(UWFLAGS) $(UWNOTABLES) -Wl,--build-id=sha1 -o $@.full $<
	$(Q)id=$$(readelf -n $@.full | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p'); \
	  dbg=$(FX)/debug/.build-id/$${id:0:2}/$${id:2}.debug; \
	  mkdir -p $(FX)/debug/.build-id/$${id:0:2} && \
	  objcopy --only-keep-debug $@.full $$dbg && \
	  objcopy --strip-all -R .eh_frame -R .eh_frame_hdr $@.full $@ && rm -f $@.full && \
	  $(call uw_has_sections,$$dbg,.debug_frame .symtab,)
	$(Q)$(call uw_has_sections,$@,,.eh_frame .eh_frame_hdr .debug_frame .symtab)

# ---- off-CPU fixtures (issue 13) ---------------------------------------------
# Built like the unwinding fixtures: the user stack of a blocked thread
# must come from unwind tables, as it does for distribution binaries.
OFFDIR   := tests/fixtures/offcpu
OFFFIXES := $(FX)/offcpufix $(FX)/pingpong

$(OFFFIXES): $(FX)/%: $(OFFDIR)/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(UWCC) $(UWFLAGS) -pthread -o $@ $<

# ---- probe fixtures (issue 14) -----------------------------------------------
PROBEFIXES := $(FX)/probefix $(FX)/usdtfix

$(PROBEFIXES): $(FX)/%: tests/fixtures/probe/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(UWCC) $(UWFLAGS) -o $@ $<

# ---- name fixtures (issue 18) ------------------------------------------------
# inlfix: -O2 -g, inline chains in a hot loop (lines, inline frames).
# inlfix-stripped: the same, stripped, with a build id; its debug file is
# only in $(FX)/debuginfod/ (what the tests' debuginfod server serves),
# never where profrun looks locally.
NAMEDIR   := tests/fixtures/names
NAMEFIXES := $(FX)/inlfix $(FX)/inlfix-stripped $(FX)/inlfix-gz

$(FX)/inlfix: $(NAMEDIR)/inlfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) -O2 -g -Wall -Wextra -Werror -o $@ $<

# inlfix-gz: the same with its DWARF zlib-compressed, as Debian ships
# debuginfo (the inflated-copy cache, dwarfcache.h).
$(FX)/inlfix-gz: $(NAMEDIR)/inlfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) -O2 -g -gz=zlib -Wall -Wextra -Werror -o $@ $<

$(FX)/inlfix-stripped: $(NAMEDIR)/inlfix.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(FX)/debuginfod && $(CC) -O2 -g -Wall -Wextra -Werror \
	  -Wl,--build-id=sha1 -o $@.full $<
	$(Q)objcopy --only-keep-debug $@.full $(FX)/debuginfod/inlfix-stripped.debug && \
	  objcopy --strip-all $@.full $@ && rm -f $@.full

fixtures: $(FIXTURES) $(SYMFIXES) $(KSYMFIXES) $(UNWINDFIXES) $(OFFFIXES) $(PROBEFIXES) $(NAMEFIXES)

test-unit: $(O)/unit_tests fixtures
	$(Q)FIXTURES=$(O)/fixtures $(O)/unit_tests | tee $(O)/test-unit.log

test-lua: $(O)/profrun
	$(Q)$(O)/profrun tests/lua/run.lua | tee $(O)/test-lua.log

test-e2e: $(O)/profrun $(O)/profrun.1 fixtures
	$(Q)PROFRUN=$(O)/profrun FIXTURES=$(O)/fixtures tests/e2e/run.sh | tee $(O)/test-e2e.log

# The unwinding tests again with each unwinder alone: user space on a copy
# of every stack (kernel_unwind off), and BPF from the loaded tables with
# no copy (only): there, the tests whose code has unwind tables; no-CFI
# and JIT code, truncation reasons and copy statistics are user space's.
KUNWIND_ONLY_TESTS := t80 t81 t82 t84 t86 t87 t90
test-kunwind: $(O)/profrun fixtures
	$(Q){ PROFRUN_KERNEL_UNWIND=off PROFRUN=$(O)/profrun FIXTURES=$(O)/fixtures tests/e2e/run.sh t8 t90; \
	  PROFRUN_KERNEL_UNWIND=only PROFRUN=$(O)/profrun FIXTURES=$(O)/fixtures \
	    tests/e2e/run.sh $(KUNWIND_ONLY_TESTS); } | \
	  awk '/ passed, .* failed/ { p += $$1; f += $$3; next } { print } \
	       END { printf "%d passed, %d failed\n", p, f }' | tee $(O)/test-kunwind.log

# libFuzzer targets, one per parser of process-controlled input, each
# linked with the runtime sources it needs built the same way (ASan, UBSan,
# coverage) in $(O)/fuzz; seed corpora come from the fixtures and
# /proc/self/maps. `make fuzz` runs each for FUZZ_SECONDS; `make test-fuzz`
# runs each for FUZZ_TEST_SECONDS as one test (failed when libFuzzer found a
# crash, a leak or a hang; the input is left in $(O)/fuzz/artifacts-NAME/).
FUZZ_CC           ?= $(CLANG)
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 10
FUZZ_CFLAGS        = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-I$(O) -Ibpf -Iruntime $(PC_CFLAGS)
FUZZ_LIBS          = -ldw -lelf -llzma -liberty -lz -ldl -lpthread
FUZZERS           := elfsym maps perfmap cfi procstat buildid dwarfcache
FUZZ_BINS         := $(patsubst %,$(O)/fuzz/fuzz_%,$(FUZZERS))
FUZZ_CORPORA      := $(patsubst %,$(O)/fuzz/corpus-%.stamp,$(FUZZERS))
ELFSYM_RT         := elfsym elfsym_read elfsym_debuginfo elfsym_dwarf dwarfcache fileio trust \
		     debuginfod dl log thread buildid \
		     cfi cfi_dwarf cfi_elf array strpool
fuzz_rt_elfsym    := $(ELFSYM_RT)
fuzz_rt_maps      := maps $(ELFSYM_RT)
fuzz_rt_perfmap   := perfmap strpool
fuzz_rt_cfi       := cfi cfi_dwarf cfi_elf array
fuzz_rt_procstat  := procfs
fuzz_rt_buildid   := buildid
fuzz_rt_dwarfcache := dwarfcache fileio trust

$(O)/fuzz/rt/%.o: runtime/%.c $(wildcard runtime/*.h) bpf/events.h | $(DEPS_STAMP)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

define fuzz_rule
$(O)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(patsubst %,$(O)/fuzz/rt/%.o,$(fuzz_rt_$(1))) \
		$(wildcard runtime/*.h) | $(DEPS_STAMP)
	$$(call msg,FUZZ,$$@)
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$< $(patsubst %,$(O)/fuzz/rt/%.o,$(fuzz_rt_$(1))) \
		$$(FUZZ_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

# Seeds: every kind of fixture binary (inlfix: DWARF with inline chains,
# inlfix-stripped: FDEs only); real maps lines; JIT map lines.
$(O)/fuzz/corpus-elfsym.stamp: $(SYMFIXES) $(NAMEFIXES)
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)cp $(SYMFIXES) $(NAMEFIXES) $(FX)/.debug/symfix-debuglink.debug $(@:.stamp=)/
	$(Q)cp $(FX)/debug/.build-id/*/*.debug $(@:.stamp=)/
	$(Q)touch $@

# Seeds: the compressed-DWARF fixture.
$(O)/fuzz/corpus-dwarfcache.stamp: $(FX)/inlfix-gz
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)cp $(FX)/inlfix-gz $(@:.stamp=)/
	$(Q)touch $@

$(O)/fuzz/corpus-maps.stamp: tests/fuzz/fuzz_maps.c
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)head -n 60 /proc/self/maps > $(@:.stamp=)/self
	$(Q)cd $(@:.stamp=) && split -l 6 self line-
	$(Q)printf '%s\n' \
	  '7f0000400000-7f0000401000 r-xp 00001000 08:02 77 /tmp/gone.so (deleted)' \
	  '7f0000200000-7f0000201000 r-xp 00001000 103:05 42                         /tmp/my lib.so' \
	  '7ffd1c7f2000-7ffd1c7f4000 r-xp 00000000 00:00 0                          [vdso]' \
	  'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]' \
	  > $(@:.stamp=)/synthetic
	$(Q)touch $@

$(O)/fuzz/corpus-perfmap.stamp: tests/fuzz/fuzz_perfmap.c
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)printf '%s\n' '7f0012340000 2a LazyCompile:~main /tmp/app.js:1:1' \
	  '7f0012340100 80 Function:~<anonymous> node:internal/main:1:1' \
	  '0x3000 0x20 [jit] Interpreter' '3000 8 newest for 3000' > $(@:.stamp=)/node
	$(Q)printf '%s\n' '1000 10 foo' 'ABCDEF abc Up And Low' 'fffffffffffffff0 f top' \
	  > $(@:.stamp=)/plain
	$(Q)touch $@

# Seeds: the build-id notes of the fixtures (and of profrun), whole
# note sections with other notes before the build-id.
$(O)/fuzz/corpus-buildid.stamp: $(SYMFIXES)
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)for f in $(SYMFIXES) /bin/sh; do \
	  objcopy -O binary --only-section=.note.gnu.build-id $$f $(@:.stamp=)/$$(basename $$f) 2>/dev/null || true; \
	  objcopy -O binary --only-section=.note.ABI-tag $$f $(@:.stamp=)/$$(basename $$f).abi 2>/dev/null || true; \
	done
	$(Q)touch $@

# Seeds: real stat lines (the first bytes also serve as a comm), comms
# with ')', spaces and newlines, lines cut short.
$(O)/fuzz/corpus-procstat.stamp: tests/fuzz/fuzz_procstat.c
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)cat /proc/self/stat > $(@:.stamp=)/self
	$(Q)cat /proc/1/stat > $(@:.stamp=)/init
	$(Q)printf '%s' '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 11 0 0' \
	  > $(@:.stamp=)/kthread
	$(Q)printf '%s\n' '77 (a) b) c) R 1 77 77 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 999 1 2' \
	  > $(@:.stamp=)/paren
	$(Q)printf '%s\n' '78 (x (y) ((z) S 1 78 78 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 1 2' \
	  > $(@:.stamp=)/nested
	$(Q)printf '79 (two\nlines ) S 1 79 79 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 6 1 2\n' \
	  > $(@:.stamp=)/newline
	$(Q)printf '80 (   ) Z 1 80 80 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 1 2\n' > $(@:.stamp=)/spaces
	$(Q)printf '81 (a\000b) S 1 81 81 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 8 1 2\n' > $(@:.stamp=)/nul
	$(Q)head -c 40 /proc/self/stat > $(@:.stamp=)/cut-mid
	$(Q)printf '%s' '82 (cut) S 1' > $(@:.stamp=)/cut-ppid
	$(Q)printf '%s' '83 (cut' > $(@:.stamp=)/cut-comm
	$(Q)printf '%s' '84 (x) ' > $(@:.stamp=)/cut-state
	$(Q)touch $@

# Seeds: the unwind sections of real binaries, each behind its selector
# byte (0: .eh_frame, 1: .debug_frame; 2 adds a segment).
$(O)/fuzz/corpus-cfi.stamp: $(FX)/symfix-pie
	$(call msg,GEN,$(@:.stamp=))
	$(Q)rm -rf $(@:.stamp=) && mkdir -p $(@:.stamp=)
	$(Q)objcopy -O binary --only-section=.eh_frame $(FX)/symfix-pie $(@:.stamp=)/eh.raw
	$(Q)objcopy -O binary --only-section=.debug_frame $(FX)/symfix-pie $(@:.stamp=)/dbg.raw || :
	$(Q)for b in /lib64/ld-linux-x86-64.so.2; do \
	  objcopy -O binary --only-section=.eh_frame $$b $(@:.stamp=)/ld.raw; done
	$(Q)cd $(@:.stamp=) && for f in *.raw; do \
	  { printf '\000'; cat $$f; } > $$f.0 && { printf '\002'; cat $$f; } > $$f.2 && \
	  { printf '\001'; cat $$f; } > $$f.1 && rm $$f; done
	$(Q)touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_CORPORA)

fuzz: fuzz-build
	$(Q)rc=0; for f in $(FUZZERS); do \
	  mkdir -p $(O)/fuzz/work-$$f $(O)/fuzz/artifacts-$$f; \
	  $(O)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -artifact_prefix=$(O)/fuzz/artifacts-$$f/ $(O)/fuzz/work-$$f $(O)/fuzz/corpus-$$f || rc=1; \
	done; exit $$rc

test-fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(O) $(FUZZ_TEST_SECONDS) $(FUZZERS) | tee $(O)/test-fuzz.log

# Every suite runs even when one fails; the last line sums them up.
test: $(O)/profrun $(O)/profrun.1 $(O)/unit_tests fixtures
	$(Q)rc=0; \
	$(MAKE) --no-print-directory test-unit || rc=1; \
	$(MAKE) --no-print-directory test-lua || rc=1; \
	$(MAKE) --no-print-directory test-e2e || rc=1; \
	$(MAKE) --no-print-directory test-kunwind || rc=1; \
	$(MAKE) --no-print-directory test-fuzz || rc=1; \
	tail -qn1 $(O)/test-unit.log $(O)/test-lua.log $(O)/test-e2e.log $(O)/test-kunwind.log \
	  $(O)/test-fuzz.log | \
	  awk '{ for (i = 1; i < NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
	       END { printf "total: %d passed, %d failed\n", p, f; exit f > 0 }' || rc=1; \
	exit $$rc

SYMBENCH_OBJS  := $(O)/rt/elfsym.o $(O)/rt/elfsym_read.o $(O)/rt/elfsym_debuginfo.o $(O)/rt/elfsym_dwarf.o \
		  $(O)/rt/buildid.o $(O)/rt/strpool.o $(O)/rt/debuginfod.o $(O)/rt/cfi.o $(O)/rt/cfi_dwarf.o \
		  $(O)/rt/cfi_elf.o $(O)/rt/array.o $(O)/rt/dl.o $(O)/rt/log.o $(O)/rt/thread.o \
		  $(O)/rt/dwarfcache.o $(O)/rt/fileio.o $(O)/rt/trust.o
CFIBENCH_OBJS  := $(O)/rt/cfi.o $(O)/rt/cfi_dwarf.o $(O)/rt/cfi_elf.o $(O)/rt/array.o
KSYMBENCH_OBJS := $(O)/rt/ksym.o $(O)/rt/bpfsym.o $(O)/rt/procfs.o $(O)/rt/strpool.o $(O)/rt/array.o

$(O)/bench/symbench: bench/symbench.c $(SYMBENCH_OBJS) $(O)/profrun.dynlist
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(SYMBENCH_OBJS) $(LDLIBS)

$(O)/bench/ksymbench: bench/ksymbench.c $(KSYMBENCH_OBJS) $(O)/profrun.dynlist
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(KSYMBENCH_OBJS) $(LDLIBS)

$(O)/bench/cfibench: bench/cfibench.c $(CFIBENCH_OBJS) $(O)/profrun.dynlist
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CFIBENCH_OBJS) $(LDLIBS)

bench-ksym: $(O)/bench/ksymbench
	$(O)/bench/ksymbench

bench-sym: $(O)/bench/symbench fixtures
	bench/symbolize.sh $(O)

# Unwind tables: size and build time per binary (CFI_BINS=... for others
# than libc.so.6 and python3.11).
bench-cfi: $(O)/bench/cfibench
	$(O)/bench/cfibench $(CFI_BINS)

# The unwinding benchmark's workload must have no frame pointers, and GCC
# is what builds most such code; bench/uwspin.c says why each flag.
UWCC ?= gcc
$(O)/bench/uwspin: bench/uwspin.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(UWCC) -O2 -fomit-frame-pointer -g -Wall -Wextra -Werror -pthread -o $@ $<

$(O)/bench/probespin: bench/probespin.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(UWCC) -O2 -fomit-frame-pointer -Wall -Wextra -Werror -o $@ $<

# knobs: ROUNDS HZS SECONDS WARM TOOLS STACK_BYTES RESULTS (bench/unwind.sh)
bench-unwind: $(O)/profrun $(O)/bench/uwspin
	bench/unwind.sh $(O)

# A long busy run, RSS printed every 30 s, against the bound the README
# states (knobs: SOAK_SECONDS=600 INTERVAL=30 HZ=999 BOUND_MB=200)
soak: $(O)/profrun
	bench/soak.sh $(O)

run: $(O)/profrun
	$(O)/profrun -d 10 examples/top.lua

bench: $(O)/profrun fixtures $(O)/bench/probespin $(O)/bench/uwspin
	bench/run.sh $(O)/profrun
	bench/offcpu.sh $(O)
	bench/probes.sh $(O)
	bench/export.sh $(O)
	bench/python.sh $(O)

# pushing to ClickHouse: profrun's CPU and RSS with and without the sink,
# rows/s into the local server (knobs: ROUNDS=3 RUN=60 HZ=99 ROWS=1000000)
bench-export: $(O)/profrun $(O)/bench/uwspin
	bench/export.sh $(O)

# Python frames: BPF ns per sample with and without them, by Python stack
# depth (knobs: ROUNDS=5 RUN=4 HZ=999 DEPTHS="1 30 100")
bench-python: $(O)/profrun
	bench/python.sh $(O)

# probes: start-up to the first uprobe event, cost per hit, against
# bpftrace (knobs: RUNS=5 ROUNDS=3 CALLS=500000 DELAY=3 MODES=...)
bench-probes: $(O)/profrun $(O)/bench/probespin
	bench/probes.sh $(O)

# off-CPU time under a switch storm, against offcputime and bpftrace
# (knobs: ROUNDS=3 STORM=3 DELAY=3 TOOLS=...)
bench-offcpu: $(O)/profrun fixtures
	bench/offcpu.sh $(O)

# PREFIX/bin, the Lua library and examples under PREFIX/share/profrun, the
# manual page, bash completion, and the fleet example's systemd unit
# (pointing at PREFIX; not enabled).
install: $(O)/profrun $(O)/profrun.1
	install -D -m 0755 $(O)/profrun $(DESTDIR)$(PREFIX)/bin/profrun
	for f in $(LUA_SRCS); do install -D -m 0644 $$f $(DESTDIR)$(PREFIX)/share/profrun/$$f; done
	for f in examples/*.lua; do install -D -m 0644 $$f $(DESTDIR)$(PREFIX)/share/profrun/$$f; done
	install -D -m 0644 $(O)/profrun.1 $(DESTDIR)$(PREFIX)/share/man/man1/profrun.1
	install -D -m 0644 scripts/completion/profrun \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/profrun
	mkdir -p $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|/usr/local/|$(PREFIX)/|g' examples/profrun-fleet.service \
		>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/profrun-fleet.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/profrun-fleet.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/profrun $(DESTDIR)$(PREFIX)/share/man/man1/profrun.1
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/profrun
	rm -f $(DESTDIR)$(SYSTEMD_UNIT_DIR)/profrun-fleet.service
	rm -rf $(DESTDIR)$(PREFIX)/share/profrun

# The Debian package, built by dpkg-buildpackage (debhelper) from a copy
# of the tracked tree with scripts/debian/ as its debian/; lintian must
# report no error. scripts/install-deps.sh --deb adds the packaging tools.
DEB_DIR := $(O)/deb
DEB     := $(DEB_DIR)/profrun_$(VERSION)_amd64.deb
deb:
	$(Q)scripts/install-deps.sh --deb
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/profrun-$(VERSION)
	$(Q)if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 cp -a --parents -t $(DEB_DIR)/profrun-$(VERSION); \
	else \
	  tar -c --exclude='./build*' . | tar -x -C $(DEB_DIR)/profrun-$(VERSION); \
	fi
	$(Q)cp -a scripts/debian $(DEB_DIR)/profrun-$(VERSION)/debian
	$(Q)cd $(DEB_DIR)/profrun-$(VERSION) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
	  { tail -40 ../build.log; echo "make deb: dpkg-buildpackage failed; log: $(DEB_DIR)/build.log"; exit 1; }
	$(Q)lintian --fail-on error $(DEB_DIR)/profrun_$(VERSION)_amd64.changes | tee $(DEB_DIR)/lintian.log
	@echo "make deb: $(DEB)"

# Installs the package on this machine, tries it, removes it again.
test-deb: deb
	$(Q)tests/deb/run.sh $(DEB) | tee $(O)/test-deb.log

clean:
	rm -rf $(O)

.PHONY: all deps fixtures test test-unit test-lua test-e2e test-kunwind test-fuzz fuzz fuzz-build run bench bench-offcpu bench-probes bench-python \
	bench-sym bench-ksym bench-cfi bench-unwind bench-export soak install uninstall clean deb test-deb

-include $(RT_OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
