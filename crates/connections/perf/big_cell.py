#!/usr/bin/env python3
"""Inflate a built sample into a large cell for measuring `discover` (not a test).

usage: big_cell.py SYSROOT [--nodes N] [--apps N] [--resources-mb N]

Copies an application-server node until the cell has at least N extra nodes, copies
deployed applications until there are N, and pads the cell-scope resources.xml with an
embedded payload (an escaped XML document in a resourceProperties value, as real
Connections cells carry) until it is the given size.
"""
import argparse, glob, os, shutil, sys

ap = argparse.ArgumentParser()
ap.add_argument("sysroot")
ap.add_argument("--nodes", type=int, default=6)
ap.add_argument("--apps", type=int, default=60)
ap.add_argument("--resources-mb", type=int, default=50)
a = ap.parse_args()

cells = glob.glob(os.path.join(a.sysroot, "opt/IBM/WebSphere/AppServer/profiles/Dmgr01/config/cells/*"))
if not cells:
    sys.exit("no dmgr cell under " + a.sysroot)
cell = cells[0]

nodes = sorted(d for d in glob.glob(os.path.join(cell, "nodes/*")) if os.path.isdir(os.path.join(d, "servers/nodeagent")))
template = nodes[0]
for i in range(a.nodes):
    dst = os.path.join(cell, "nodes", "bigNode%02d" % i)
    if not os.path.exists(dst):
        shutil.copytree(template, dst, symlinks=True)

apps = sorted(glob.glob(os.path.join(cell, "applications/*.ear")))
n = len(apps)
i = 0
while n < a.apps:
    src = apps[i % len(apps)]
    name = "Big%02d" % n
    dst = os.path.join(cell, "applications", name + ".ear")
    shutil.copytree(src, dst, symlinks=True)
    old = os.path.basename(src)[:-4]
    os.rename(os.path.join(dst, "deployments", old), os.path.join(dst, "deployments", name))
    n += 1
    i += 1

res = os.path.join(cell, "resources.xml")
text = open(res, encoding="utf-8").read()
target = a.resources_mb * 1024 * 1024
chunk = "&lt;widget id=&quot;w%d&quot; url=&quot;https://cnx.example.com/widgets/w%d.xml&quot;/&gt;&#10;"
parts = []
size = len(text)
k = 0
while size < target:
    s = chunk % (k, k)
    parts.append(s)
    size += len(s)
    k += 1
payload = ('<resources.env:ResourceEnvironmentProvider xmi:id="ResourceEnvironmentProvider_big" name="WidgetContainer">'
           '<propertySet xmi:id="J2EEResourcePropertySet_big"><resourceProperties xmi:id="J2EEResourceProperty_big" '
           'name="widgetFeedUrlMap.xml" type="java.lang.String" value="' + "".join(parts) + '"/></propertySet>'
           '</resources.env:ResourceEnvironmentProvider>')
close = text.rindex("</xmi:XMI>")
open(res, "w", encoding="utf-8").write(text[:close] + payload + text[close:])
servers = sum(len(os.listdir(os.path.join(d, "servers"))) for d in glob.glob(os.path.join(cell, "nodes/*")))
print("nodes %d, server dirs %d, applications %d, resources.xml %.1f MB" % (
    len(glob.glob(os.path.join(cell, "nodes/*"))), servers,
    len(glob.glob(os.path.join(cell, "applications/*.ear"))), os.path.getsize(res) / 1e6))
