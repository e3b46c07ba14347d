CC='gcc'
NEWLIB_ENABLED='no'
NEWLIB_CFLAGS=''
NEWLIB_LIBDIR='/work/main/newlib/lib'
