# SPDX-License-Identifier: MIT
# The installed library: libcoro.a and the shared libcoro.so (soname
# libcoro.so.MAJOR) from the plain flavour's -fPIC objects, the public
# headers under INCLUDEDIR/coro/, coro.pc for pkg-config and the CMake
# package coro (coro::coro) under LIBDIR/cmake/coro/.
#
# make install [PREFIX=/usr/local] [LIBDIR=...] [INCLUDEDIR=...] [DESTDIR=...]
# make uninstall (the same variables): removes every file install made, and
#                the directories it made for coro alone (coro/, cmake/coro/).
# make CORO_USE_LABELS=1 CORO_NO_DOUBLE=1 ... builds with the options that
#                change struct layouts (use a build dir of its own: B=...);
#                coro.pc's Cflags and coro::coro carry them to consumers.
# The version: coro.h's CORO_VERSION_MAJOR/MINOR/PATCH are the one place it
# is written; coro.pc, the CMake package and the shared library's names take
# it from there (and CMakeLists.txt parses coro.h the same way).
coro_version_part = $(shell sed -n 's/^\#define CORO_VERSION_$(1)  *\([0-9][0-9]*\).*/\1/p' coro.h)
CORO_VERSION_MAJOR := $(call coro_version_part,MAJOR)
CORO_VERSION := $(CORO_VERSION_MAJOR).$(call coro_version_part,MINOR).$(call coro_version_part,PATCH)

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR   ?= $(LIBDIR)/cmake/coro

CORO_LAYOUT = $(if $(filter-out 0,$(CORO_USE_LABELS)),-DCORO_USE_LABELS) \
              $(if $(filter-out 0,$(CORO_NO_DOUBLE)),-DCORO_NO_DOUBLE)

SONAME   = libcoro.so.$(CORO_VERSION_MAJOR)
SHLIB    = $(B)/plain/libcoro.so.$(CORO_VERSION)
all: $(SHLIB)

$(SHLIB): $(LIB_SRCS:%.c=$(B)/plain/obj/%.o)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS) $^ -o $@ $(LIB_LIBS)
	ln -sf $(@F) $(@D)/$(SONAME)
	ln -sf $(SONAME) $(@D)/libcoro.so

# Substitutes the install's paths, version and layout into a template.
coro_subst = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(CORO_VERSION)|g' \
    -e 's|@CFLAGS@|$(strip $(CORO_LAYOUT))|g' -e 's|@LIBS_PRIVATE@|$(strip $(LIB_LIBS))|g' \
    -e 's|@DEFINES@|$(subst $(coro_space),;,$(strip $(CORO_LAYOUT:-D%=%)))|g'
coro_space := $(subst ,, )

D = $(DESTDIR)
INSTALL_HEADERS = $(TOP_HEADERS) $(SEL_HEADERS)
INSTALLED = $(INSTALL_HEADERS:%=$(D)$(INCLUDEDIR)/coro/%) \
    $(D)$(LIBDIR)/libcoro.a $(D)$(LIBDIR)/libcoro.so.$(CORO_VERSION) \
    $(D)$(LIBDIR)/$(SONAME) $(D)$(LIBDIR)/libcoro.so $(D)$(PKGCONFIGDIR)/coro.pc \
    $(D)$(CMAKEDIR)/coro-config.cmake $(D)$(CMAKEDIR)/coro-config-version.cmake

install: $(LIB) $(SHLIB)
	install -d $(D)$(INCLUDEDIR)/coro/selectors $(D)$(LIBDIR) $(D)$(PKGCONFIGDIR) $(D)$(CMAKEDIR)
	install -m 644 $(TOP_HEADERS) $(D)$(INCLUDEDIR)/coro/
	install -m 644 $(SEL_HEADERS) $(D)$(INCLUDEDIR)/coro/selectors/
	install -m 644 $(LIB) $(D)$(LIBDIR)/
	install -m 755 $(SHLIB) $(D)$(LIBDIR)/
	ln -sf libcoro.so.$(CORO_VERSION) $(D)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(D)$(LIBDIR)/libcoro.so
	$(coro_subst) coro.pc.in > $(D)$(PKGCONFIGDIR)/coro.pc
	$(coro_subst) cmake/coro-config.cmake.in > $(D)$(CMAKEDIR)/coro-config.cmake
	$(coro_subst) cmake/coro-config-version.cmake.in > $(D)$(CMAKEDIR)/coro-config-version.cmake

uninstall:
	rm -f $(INSTALLED)
	rmdir $(D)$(INCLUDEDIR)/coro/selectors $(D)$(INCLUDEDIR)/coro $(D)$(CMAKEDIR) 2>/dev/null || true
