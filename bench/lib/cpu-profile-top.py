# Sums the samples of V8 .cpuprofile files (node --cpu-prof) by function: self and inclusive shares per file.
import json,sys,collections
for f in sys.argv[1:]:
    p=json.load(open(f)); nodes={n['id']:n for n in p['nodes']}
    dt=collections.Counter()
    for s,d in zip(p['samples'],p['timeDeltas']): dt[s]+=d
    total=sum(dt.values())
    self_=collections.Counter()
    for i,t in dt.items():
        cf=nodes[i]['callFrame']; self_[(cf['functionName'] or '(anon)')+' '+cf['url'].split('/')[-1]+':'+str(cf['lineNumber'])]+=t
    # inclusive
    parent={}
    for n in p['nodes']:
        for c in n.get('children',[]): parent[c]=n['id']
    inc=collections.Counter()
    for i,t in dt.items():
        seen=set(); j=i
        while j is not None:
            cf=nodes[j]['callFrame']; k=(cf['functionName'] or '(anon)')+' '+cf['url'].split('/')[-1]+':'+str(cf['lineNumber'])
            if k not in seen: inc[k]+=t; seen.add(k)
            j=parent.get(j)
    print('==',f.split('/')[-1],'total ms',total/1000)
    print(' self:')
    for k,t in self_.most_common(25): print('  %5.1f%% %s'%(100*t/total,k))
    print(' inclusive:')
    for k,t in inc.most_common(40): print('  %5.1f%% %s'%(100*t/total,k))
