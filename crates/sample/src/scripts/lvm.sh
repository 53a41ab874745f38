# Stand-in for the LVM commands the backup's snapshot mode runs (lvs, lvcreate, lvremove)
# and for mount/umount of those snapshots, where the kernel's device mapper is not
# available. Installed under each name; "$0" says which. It speaks the real tools'
# arguments, output and exit codes for the calls cnxbackup makes:
#   lvs --noheadings --separator / -o vg_name,lv_name DEVICE   ->  "  VG/LV", exit 0 | 5
#   lvcreate --snapshot --permission r --name NAME (--extents X|--size X) VG/LV
#   mount -o ro[,nouuid] /dev/VG/NAME DIR,  umount DIR,  lvremove --yes VG/NAME
# A snapshot is a copy of the origin's directory made by lvcreate (so it keeps what the
# volume held then); mount copies it into DIR, umount empties DIR. Volumes are lines
# "DEVICE<TAB>VG/LV<TAB>DIRECTORY" in $STATE/volumes; every call is logged to $STATE/lvm.log.
tool=$(basename "$0")
log() { printf '%s\n' "$tool $*" >> "$STATE/lvm.log"; }
log "$@"
origin_of() { awk -F '\t' -v k="$1" -v c="$2" '$c == k { print; exit }' "$STATE/volumes"; }
case "$tool" in
  lvs)
    dev="${*: -1}"
    line=$(origin_of "$dev" 1)
    if [ -z "$line" ]; then
      echo "  Failed to find logical volume \"$dev\"" >&2; exit 5
    fi
    printf '  %s\n' "$(cut -f2 <<< "$line")"
    ;;
  lvcreate)
    name= origin= snap=0 perm=
    while [ $# -gt 0 ]; do
      case "$1" in
        --snapshot|-s) snap=1 ;;
        --permission|-p) perm=$2; shift ;;
        --name|-n) name=$2; shift ;;
        --extents|-l|--size|-L) shift ;;
        -*) echo "lvcreate: unrecognised option '$1'" >&2; exit 3 ;;
        *) origin=$1 ;;
      esac
      shift
    done
    [ "$snap" = 1 ] && [ -n "$name" ] && [ -n "$origin" ] || { echo "  Please specify a logical volume to act as the snapshot origin." >&2; exit 3; }
    line=$(origin_of "$origin" 2)
    [ -n "$line" ] || { echo "  Volume group \"${origin%%/*}\" not found" >&2; exit 5; }
    [ -e "$STATE/lv/${origin%%/*}/$name" ] && { echo "  Logical Volume \"$name\" already exists in volume group \"${origin%%/*}\"" >&2; exit 5; }
    mkdir -p "$STATE/lv/${origin%%/*}/$name"
    cp -a "$(cut -f3 <<< "$line")/." "$STATE/lv/${origin%%/*}/$name/"
    echo "$perm" > "$STATE/lv/${origin%%/*}/$name.perm"
    echo "  Logical volume \"$name\" created."
    ;;
  mount)
    [ "$1" = -o ] || { echo "mount: this stand-in mounts snapshots only (-o OPTIONS DEVICE DIR)" >&2; exit 1; }
    opts=$2 dev=$3 dir=$4
    lv=${dev#/dev/}
    [ -d "$STATE/lv/$lv" ] || { echo "mount: $dir: special device $dev does not exist." >&2; exit 32; }
    [[ ",$opts," == *,ro,* ]] || { echo "mount: $dir: cannot mount $dev read-write, is write-protected." >&2; exit 32; }
    cp -a "$STATE/lv/$lv/." "$dir/"
    ;;
  umount)
    dir=$1
    [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] || { echo "umount: $dir: not mounted." >&2; exit 32; }
    find "$dir" -mindepth 1 -delete
    ;;
  lvremove)
    lv="${*: -1}"
    [ -d "$STATE/lv/$lv" ] || { echo "  Failed to find logical volume \"$lv\"" >&2; exit 5; }
    rm -rf "${STATE:?}/lv/$lv" "$STATE/lv/$lv.perm"
    echo "  Logical volume \"${lv#*/}\" successfully removed."
    ;;
esac
