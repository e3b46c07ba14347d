# The kvserver example's tests (included from tests/local.mk), with
# redis-tools. linux.sh: the baseline on the kernel's sockets; lwip.sh: the
# lwIP images over a TAP device; both in a network namespace of their own,
# as root. vm.sh: the intel-mpk images in the test VM, with the tun.ko that
# tests/lwip/vm.sh fetches (so it runs after it). The unit tests of resp.c
# and store.c are tests/check_kvserver.c.
SH_TESTS += tests/kvserver/linux.sh tests/kvserver/lwip.sh tests/kvserver/vm.sh
tests/kvserver/linux.log: examples/kvserver/kvserver-linux$(EXEEXT)
tests/kvserver/lwip.log: $(KVSERVER_IMAGES)
tests/kvserver/vm.log: $(KVSERVER_MPK_IMAGES) tests/lwip/mktap$(EXEEXT) tests/lwip/vm.log
EXTRA_DIST += tests/kvserver/local.mk tests/kvserver/checks.sh tests/kvserver/reopen.c tests/kvserver/vm-inner.sh
