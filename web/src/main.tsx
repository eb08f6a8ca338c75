import { render } from "preact";
import { useEffect, useRef } from "preact/hooks";
import "./style.css";
import { interceptLinks, navigate, useRoute, type Route } from "./router";
import { SearchPage } from "./pages/Search";
import { CityPage } from "./pages/City";
import { PartnershipPage } from "./pages/Partnership";
import { TopicPage, TopicsPage } from "./pages/Topics";
import { StatsPage } from "./pages/Stats";

function SearchBox({ route }: { route: Route }) {
  const value = route.page === "search" ? route.query : "";
  const input = useRef<HTMLInputElement>(null);
  // Keep the box in step with the URL (back button), not while typing.
  useEffect(() => {
    if (input.current && document.activeElement !== input.current) input.current.value = value;
  }, [value]);
  const go = (text: string) => {
    const href = text.trim() ? `/search?q=${encodeURIComponent(text)}` : "/search";
    // Typing refines one search: one history entry for it.
    navigate(href, route.page === "search");
  };
  return (
    <form role="search" class="search" onSubmit={(e) => (e.preventDefault(), go(input.current?.value ?? ""))}>
      <label for="search-input">Search cities, partnerships, visits, topics</label>
      <input
        id="search-input"
        ref={input}
        type="search"
        defaultValue={value}
        placeholder="Мурманск, 哈尔滨, cerebral palsy…"
        autocomplete="off"
        onInput={(e) => go((e.target as HTMLInputElement).value)}
      />
    </form>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "home":
      return <HomePage />;
    case "search":
      return <SearchPage query={route.query} />;
    case "city":
      return <CityPage key={route.key} cityKey={route.key} showEnded={route.showEnded} asOf={route.asOf} />;
    case "partnership":
      return <PartnershipPage key={route.key} partnershipKey={route.key} />;
    case "topics":
      return <TopicsPage />;
    case "topic":
      return <TopicPage key={route.key} topicKey={route.key} />;
    case "stats":
      return <StatsPage />;
    default:
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            There is no page here. Try the <a href="/">start page</a>.
          </p>
        </>
      );
  }
}

function HomePage() {
  return (
    <>
      <h1 tabIndex={-1}>Twinning explorer</h1>
      <p>
        Which cities are twinned, and how each partnership grew: search above in any script, open a city to see its
        sister cities on a world map, or a partnership to see its story as a timeline.
      </p>
      <ul class="cards">
        <li>
          <a href="/city/murmansk">Murmansk</a> and its sister cities
        </li>
        <li>
          <a href="/partnership/murmansk-harbin">Murmansk – Harbin</a>, a partnership’s timeline
        </li>
        <li>
          <a href="/topics">Topics</a> of cooperation
        </li>
        <li>
          <a href="/stats">Statistics</a>
        </li>
      </ul>
      <p class="muted">
        The data is open through a GraphQL API: try it in <a href="/graphql">GraphiQL</a>.
      </p>
    </>
  );
}

function App() {
  const [route, serial] = useRoute();
  const main = useRef<HTMLElement>(null);
  // After a move within the page, focus the new page's heading, so that a
  // screen reader announces it and keyboard users start from the top.
  useEffect(() => {
    if (serial === 0 || route.page === "search") return;
    const heading = main.current?.querySelector("h1");
    if (heading instanceof HTMLElement) heading.focus();
    window.scrollTo(0, 0);
  }, [serial]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Twinning
        </a>
        <nav aria-label="Sections">
          <ul>
            <li>
              <a href="/topics">Topics</a>
            </li>
            <li>
              <a href="/stats">Statistics</a>
            </li>
            <li>
              <a href="/graphql">API</a>
            </li>
          </ul>
        </nav>
        <SearchBox route={route} />
      </header>
      <main id="main" ref={main}>
        <Page route={route} />
      </main>
      <footer>
        Map: <a href="https://www.naturalearthdata.com/">Natural Earth</a> (public domain), via world-atlas.
      </footer>
    </>
  );
}

interceptLinks();
render(<App />, document.getElementById("app")!);
