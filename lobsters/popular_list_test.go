package lobsters

import "testing"

func TestUserListEscapes(t *testing.T) {
	got := string(userListHTML([]PopularUser{{Username: "alice", Karma: 42}, {Username: `<b>"x'&y`, Karma: -1}}))
	want := `<li><a class="user" href="/u/alice">alice</a> - <span class="karma">42</span></li>
<li><a class="user" href="/u/%3Cb%3E%22x%27&amp;y">&lt;b&gt;&#34;x&#39;&amp;y</a> - <span class="karma">-1</span></li>
`
	if got != want {
		t.Errorf("userListHTML =\n%s\nwant\n%s", got, want)
	}
}

func TestWhoLeavesOutWhatTheServiceDidNotSay(t *testing.T) {
	got := who(&PopularReply{ServiceID: "sid-1", Index: 3})
	if len(got) != 2 || got[0].Value != "sid-1" || got[1].Value != "request #3" {
		t.Errorf("who = %+v, want the service ID and the request number only", got)
	}
}
