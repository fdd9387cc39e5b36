/// Maps a request line to what should answer it. Pure, so every status rule is unit-tested.
public enum Route: Sendable, Equatable {
    case metrics, consumerLag, streams, health, liveness, readiness, index
    case notFound
    /// The path exists but the method is not GET or HEAD: 405 with `Allow: GET, HEAD`.
    case methodNotAllowed

    public static let allow = "GET, HEAD"

    public static func resolve(method: String, path: String, telemetryPath: String) -> Route {
        let route: Route
        switch path {
        case telemetryPath: route = .metrics
        case "/api/v1/events/consumer-lag": route = .consumerLag
        case "/api/v1/events/streams": route = .streams
        case "/api/v1/events/health": route = .health
        case "/-/healthy": route = .liveness
        case "/-/ready": route = .readiness
        case "/": route = .index
        default: return .notFound
        }
        return method == "GET" || method == "HEAD" ? route : .methodNotAllowed
    }

    /// True for the paths that carry stream topology (credentials required when configured).
    public var isProtected: Bool {
        switch self {
        case .metrics, .consumerLag, .streams, .health: true
        default: false
        }
    }
}

/// The status page at `/`: one self-contained HTML document (no external script, font or style;
/// it runs air-gapped), refreshed from the JSON API every poll interval by its own script.
/// Without JavaScript it still shows the links.
public enum IndexPage {
    public static func html(version: String, telemetryPath: String, pollInterval: Double = 5) -> String {
        let links = [
            (telemetryPath, "Prometheus metrics"),
            ("/api/v1/events/consumer-lag", "Consumer lag (JSON)"),
            ("/api/v1/events/streams", "Streams (JSON)"),
            ("/api/v1/events/health", "Health (JSON)"),
            ("/-/healthy", "Liveness"),
            ("/-/ready", "Readiness"),
        ]
        let items = links.map { "<li><a href=\"\(escape($0.0))\">\(escape($0.1))</a></li>" }.joined(separator: "\n")
        let refreshMs = Int(min(max(pollInterval, 0.1), 60) * 1000)
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>stream-lag-exporter</title>
        <style>
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:12px;color:#1d2430;background:#f6f7f9}
        h1{font-size:18px;margin:0 0 8px}
        #summary{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:8px}
        .badge{display:inline-block;padding:2px 8px;border-radius:10px;font-weight:600;color:#fff}
        .healthy{background:#2e7d32}.degraded{background:#b26a00}.unhealthy{background:#c62828}.unknown{background:#616161}
        #stale{display:none;background:#fff3cd;border:1px solid #e0c060;padding:6px 8px;margin-bottom:8px}
        .wrap{overflow-x:auto;background:#fff;border:1px solid #d9dde3;border-radius:6px}
        table{border-collapse:collapse;width:100%;min-width:560px}
        th,td{padding:6px 8px;border-bottom:1px solid #eceff3;text-align:left;white-space:nowrap}
        th{background:#eef1f5;font-weight:600}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.is-stale td{color:#8a8f98}
        #reasons{margin:8px 0;padding-left:18px}
        #token-form{display:none;background:#fff;border:1px solid #d9dde3;padding:8px;border-radius:6px;margin-bottom:8px}
        small{color:#5b6270}
        @media (max-width:600px){body{padding:6px;font-size:13px}th,td{padding:4px 5px}}
        </style></head>
        <body>
        <h1>stream-lag-exporter <small>\(escape(version))</small></h1>
        <div id="summary"><span id="overall" class="badge unknown">loading</span>
        <span>total lag <b id="total-lag">-</b></span><span>streams <b id="stream-count">-</b></span>
        <small id="collected"></small></div>
        <div id="stale">These figures are stale: the last poll of Redis did not succeed. They are the last ones read.</div>
        <form id="token-form"><label>The API needs a bearer token:
        <input id="token" type="password" autocomplete="off"></label> <button>Use</button>
        <small>kept in this tab only</small></form>
        <ul id="reasons"></ul>
        <div class="wrap"><table id="groups"><thead><tr><th>stream</th><th>group</th><th>lag</th><th>lag seconds</th>
        <th>pending</th><th>status</th><th>trend</th><th>drain</th><th>consumers (idle s)</th></tr></thead>
        <tbody></tbody></table></div>
        <noscript><p>This page refreshes itself with JavaScript; the figures are at the links below.</p></noscript>
        <ul>
        \(items)
        </ul>
        <script>
        (function(){
          var every=\(refreshMs);var renders=0;var lastStatus=null;var history=[];
          function token(){try{return sessionStorage.getItem("slx-token")||""}catch(e){return ""}}
          function get(path){
            var h={"Accept":"application/json"};var t=token();if(t){h["Authorization"]="Bearer "+t}
            return fetch(path,{headers:h,cache:"no-store",credentials:"same-origin"}).then(function(r){
              if(r.status===401){document.getElementById("token-form").style.display="block";throw new Error("401")}
              return r.json()});
          }
          function text(v,unit){return v===null||v===undefined?"-":String(v)+(unit||"")}
          function secs(v){if(v===null||v===undefined)return "-";if(v<120)return v.toFixed(v<10?1:0)+" s";
            if(v<7200)return (v/60).toFixed(0)+" min";return (v/3600).toFixed(1)+" h"}
          function cell(tr,value,cls){var td=document.createElement("td");td.textContent=value;if(cls)td.className=cls;tr.appendChild(td);return td}
          function render(lag,health){
            if(!lag||!lag.streams){lag={streams:{},stale:true,total_lag:null,stream_count:null,collected_at:lag&&lag.error}}
            var stale=!!lag.stale;document.getElementById("stale").style.display=stale?"block":"none";
            document.getElementById("total-lag").textContent=text(lag.total_lag);
            document.getElementById("stream-count").textContent=text(lag.stream_count);
            document.getElementById("collected").textContent="collected "+(lag.collected_at||"-");
            var o=document.getElementById("overall");var st=health&&health.status||"unknown";o.textContent=st;o.className="badge "+st;
            var rs=document.getElementById("reasons");rs.textContent="";(health&&health.reasons||[]).forEach(function(r){
              var li=document.createElement("li");li.textContent=r;rs.appendChild(li)});
            var body=document.querySelector("#groups tbody");body.textContent="";
            Object.keys(lag.streams).sort().forEach(function(name){
              var s=lag.streams[name];var groups=s.groups||{};var names=Object.keys(groups).sort();
              if(names.length===0){names=[null]}
              names.forEach(function(gname){
                var g=gname===null?null:groups[gname];var tr=document.createElement("tr");
                tr.setAttribute("data-stream",name);tr.setAttribute("data-group",gname===null?"":gname);
                if(stale||s.stale)tr.className="is-stale";
                cell(tr,name);cell(tr,gname===null?"-":gname);
                if(!g||!g.exists){cell(tr,"-","num lag");cell(tr,"-","num lag-seconds");cell(tr,"-","num pending");
                  var why=!s.exists?"stream missing":g?"group missing":"no group";
                  var ms=cell(tr,"","status");var mb=document.createElement("span");mb.className="badge "+(g?g.status:s.status);
                  mb.textContent=(g?g.status:s.status)+" ("+why+")";ms.appendChild(mb);
                  cell(tr,"-","trend");cell(tr,"-","drain");cell(tr,"-","consumers");
                } else {
                  cell(tr,text(g.lag)+(g.lag_exact===false?"+":""),"num lag");cell(tr,text(g.lag_seconds),"num lag-seconds");
                  cell(tr,text(g.pending),"num pending");
                  var st=cell(tr,g.status+(g.stalled?" (stalled)":""),"status");st.innerHTML="";
                  var b=document.createElement("span");b.className="badge "+g.status;b.textContent=g.status+(g.stalled?" (stalled)":"");st.appendChild(b);
                  cell(tr,text(g.trend),"trend");cell(tr,g.drain_seconds===null||g.drain_seconds===undefined?"-":secs(g.drain_seconds),"drain");
                  cell(tr,(g.consumers||[]).map(function(c){return c.name+" ("+text(c.idle_seconds)+")"}).join(", ")||"-","consumers");
                }
                if(s.stale){tr.title="stale: its Redis Cluster node did not answer"}
                body.appendChild(tr);
              });
            });
            // For scripts and tests: how many refreshes, and when the overall status changed.
            renders+=1;document.body.setAttribute("data-renders",String(renders));
            if(st!==lastStatus){history.push(st+"@"+Date.now());lastStatus=st;document.body.setAttribute("data-history",history.join(" "))}
          }
          function tick(){
            Promise.all([get("/api/v1/events/consumer-lag"),get("/api/v1/events/health").catch(function(){return null})])
              .then(function(r){render(r[0],r[1])}).catch(function(){}).then(function(){setTimeout(tick,every)});
          }
          document.getElementById("token-form").addEventListener("submit",function(e){e.preventDefault();
            try{sessionStorage.setItem("slx-token",document.getElementById("token").value)}catch(x){}
            document.getElementById("token-form").style.display="none"});
          tick();
        })();
        </script>
        </body></html>

        """
    }

    static func escape(_ s: String) -> String {
        var r = ""
        for ch in s {
            switch ch {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            default: r.append(ch)
            }
        }
        return r
    }
}
